package dev.jobserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.junit.jupiter.api.Test;

/** The operation naming scheme of docs/clients.md, and the roles the filter documents. */
class OpenApiFilterTest {

  private static final List<Class<? extends Annotation>> HTTP_METHODS =
      List.of(GET.class, POST.class, PUT.class, PATCH.class, DELETE.class);

  @Test
  void everyOperationHasAUniqueIdInTheSchemeOfItsApi() {
    Set<String> ids = new HashSet<>();
    List<String> problems = new ArrayList<>();
    for (Class<?> resource : OpenApiFilter.RESOURCES) {
      String path = resource.getAnnotation(jakarta.ws.rs.Path.class).value();
      for (Method m : resource.getDeclaredMethods()) {
        if (HTTP_METHODS.stream().noneMatch(m::isAnnotationPresent)) {
          continue;
        }
        Operation op = m.getAnnotation(Operation.class);
        String where = resource.getSimpleName() + "." + m.getName();
        if (op == null || op.hidden()) {
          if (op == null) {
            problems.add(where + " has no @Operation");
          }
          continue;
        }
        String id = op.operationId();
        if (!ids.add(id)) {
          problems.add(where + " repeats " + id);
        }
        String scheme =
            path.startsWith("v4/")
                ? "v4[A-Z][A-Za-z]+"
                : path.startsWith("v1/") ? "taipy[A-Z][A-Za-z]+" : "[a-z]+[A-Z][A-Za-z]+";
        if (!id.matches(scheme) || (scheme.startsWith("[a-z]") && id.matches("(v4|taipy).*"))) {
          problems.add(where + ": " + id + " is not " + scheme);
        }
      }
    }
    assertEquals(List.of(), problems);
    assertTrue(ids.size() >= 34, ids.toString());
  }

  @Test
  void rolesComeFromRolesAllowedOfTheMethodOrItsClass() {
    Map<String, List<String>> roles = OpenApiFilter.roles();
    assertEquals(List.of("manage_jobs"), roles.get("v4CreateJob")); // the class's
    assertEquals(List.of("manage_jobs", "read_jobs"), roles.get("v4GetJob"));
    assertEquals(List.of("TAIPY_EDITOR", "TAIPY_ADMIN"), roles.get("taipyCreateJob"));
    assertEquals(List.of("manage_jobs", "TAIPY_ADMIN"), roles.get("createJob"));
    assertEquals(List.of(), roles.get("getAuthConfig")); // no token
    assertNotNull(roles.get("searchJobs"));
  }

  @Test
  void eachApiAnswersErrorsInItsOwnSchema() {
    assertEquals("AppError", OpenApiFilter.errorSchema("/api/v4/jobs/{id}"));
    assertEquals("TaipyMessage", OpenApiFilter.errorSchema("/api/v1/jobs"));
    assertEquals("ApiError", OpenApiFilter.errorSchema("/api/jobserver/v1/jobs"));
  }
}
