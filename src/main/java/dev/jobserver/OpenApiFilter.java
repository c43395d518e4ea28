package dev.jobserver;

import dev.jobserver.api.jobserver.AuthConfigResource;
import dev.jobserver.api.jobserver.NativeJobsResource;
import dev.jobserver.api.jobserver.SchedulesResource;
import dev.jobserver.api.jobserver.ServerResource;
import dev.jobserver.api.jobserver.WorkerJobsResource;
import dev.jobserver.api.jobserver.WorkersResource;
import dev.jobserver.api.mattermost.MattermostJobsResource;
import dev.jobserver.api.taipy.TaipyJobsResource;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.MediaType;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.parameters.RequestBody;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;
import org.eclipse.microprofile.openapi.models.tags.Tag;

/**
 * The last pass over the OpenAPI document at {@code /openapi} (mp.openapi.filter), for what the
 * annotations cannot say or what Payara adds that OpenAPI 3.0 does not allow:
 *
 * <ul>
 *   <li>each operation's roles, read from its {@code @RolesAllowed} (so the document cannot drift
 *       from what the server enforces), as {@code x-roles} and a last line of its description, with
 *       its 401, 403 and 503 answers in its API's error format;
 *   <li>path parameters are required (Payara writes {@code required: false} for a path parameter
 *       that has a {@code @Parameter});
 *   <li>a tag declared on the application and again on a resource is listed once;
 *   <li>Payara's top-level {@code endpoints} list (not an OpenAPI field: validators refuse it) and
 *       the default values it writes into every annotated schema ({@code maxProperties: 0} would
 *       even forbid every property) are removed.
 * </ul>
 */
public class OpenApiFilter implements OASFilter {

  /** Every resource class with operations; a new API resource is added here. */
  static final List<Class<?>> RESOURCES =
      List.of(
          MattermostJobsResource.class,
          TaipyJobsResource.class,
          NativeJobsResource.class,
          ServerResource.class,
          SchedulesResource.class,
          WorkersResource.class,
          WorkerJobsResource.class,
          AuthConfigResource.class);

  private static final String JSON = "application/json";

  /**
   * The operations that answer a job's result file, in its own Content-Type (Payara leaves out a
   * any-type content given in the annotations).
   */
  static final Set<String> FILE_DOWNLOADS = Set.of("v4DownloadJob", "getJobResult");

  private final Map<String, List<String>> rolesByOperation = roles();

  /** operationId to the roles that may call it (empty: no token needed). */
  static Map<String, List<String>> roles() {
    Map<String, List<String>> roles = new LinkedHashMap<>();
    for (Class<?> resource : RESOURCES) {
      RolesAllowed classRoles = resource.getAnnotation(RolesAllowed.class);
      for (Method m : resource.getDeclaredMethods()) {
        Operation op = m.getAnnotation(Operation.class);
        if (op == null || op.hidden() || op.operationId().isEmpty()) {
          continue;
        }
        RolesAllowed allowed = m.getAnnotation(RolesAllowed.class);
        if (allowed == null && !m.isAnnotationPresent(PermitAll.class)) {
          allowed = classRoles;
        }
        roles.put(op.operationId(), allowed == null ? List.of() : Arrays.asList(allowed.value()));
      }
    }
    return roles;
  }

  @Override
  public void filterOpenAPI(OpenAPI openAPI) {
    dropPayaraEndpoints(openAPI);
    if (openAPI.getTags() != null) {
      Map<String, Tag> tags = new LinkedHashMap<>();
      for (Tag t : openAPI.getTags()) {
        Tag seen = tags.get(t.getName());
        if (seen == null) {
          tags.put(t.getName(), t);
        } else if (seen.getDescription() == null) {
          seen.setDescription(t.getDescription());
        }
      }
      openAPI.setTags(new ArrayList<>(tags.values()));
    }
    if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
      return;
    }
    openAPI
        .getPaths()
        .getPathItems()
        .forEach(
            (path, item) ->
                item.getOperations()
                    .forEach((method, op) -> describeAccess(path, item, method, op)));
  }

  private void describeAccess(
      String path,
      PathItem item,
      PathItem.HttpMethod method,
      org.eclipse.microprofile.openapi.models.Operation op) {
    if (FILE_DOWNLOADS.contains(op.getOperationId()) && op.getResponses() != null) {
      for (String code : List.of("200", "206")) {
        APIResponse file = op.getResponses().getAPIResponse(code);
        if (file != null) {
          file.setContent(
              OASFactory.createContent()
                  .addMediaType(
                      "application/octet-stream",
                      OASFactory.createMediaType()
                          .schema(
                              OASFactory.createSchema()
                                  .type(Schema.SchemaType.STRING)
                                  .format("binary"))));
        }
      }
    }
    // a body the resource reads as a stream is JSON: Payara adds an any-type content for
    // @Consumes(WILDCARD)
    RequestBody body = op.getRequestBody();
    if (body != null
        && body.getContent() != null
        && body.getContent().hasMediaType(JSON)
        && body.getContent().getMediaTypes().size() > 1) {
      MediaType json = body.getContent().getMediaType(JSON);
      body.setContent(OASFactory.createContent().addMediaType(JSON, json));
    }
    List<String> roles = rolesByOperation.get(op.getOperationId());
    if (roles == null || roles.isEmpty()) {
      return; // no token needed (the sign-in settings)
    }
    op.addExtension("x-roles", roles);
    String line = "Roles: " + String.join(", ", roles) + ".";
    String description = op.getDescription();
    op.setDescription(
        description == null || description.isBlank() ? line : description + "\n\n" + line);
    String error = errorSchema(path);
    APIResponses responses = op.getResponses();
    if (responses == null) {
      responses = OASFactory.createAPIResponses();
      op.setResponses(responses);
    }
    addIfAbsent(responses, "401", "No token, or an invalid or expired one", error);
    addIfAbsent(
        responses, "403", "The token has none of the roles: " + String.join(", ", roles), error);
    addIfAbsent(
        responses,
        "503",
        "The database does not answer; try again after Retry-After seconds",
        error);
  }

  /** Each API answers errors in its own format (API.md). */
  static String errorSchema(String path) {
    if (path.startsWith("/api/v4/")) {
      return "AppError";
    }
    if (path.startsWith("/api/v1/")) {
      return "TaipyMessage";
    }
    return "ApiError";
  }

  private static void addIfAbsent(
      APIResponses responses, String code, String description, String schema) {
    if (responses.hasAPIResponse(code)) {
      return;
    }
    responses.addAPIResponse(
        code,
        OASFactory.createAPIResponse()
            .description(description)
            .content(
                OASFactory.createContent()
                    .addMediaType(
                        JSON,
                        OASFactory.createMediaType()
                            .schema(OASFactory.createSchema().ref(schema)))));
  }

  /**
   * Payara writes the deployed endpoints as a top-level {@code endpoints} field of its own model
   * class; OpenAPI 3.0 allows no such field (extensions start with x-). The paths say the same.
   */
  private static void dropPayaraEndpoints(OpenAPI openAPI) {
    try {
      // empty, not null: Payara copies the map when it serves the document, and leaves empty maps
      // out
      openAPI.getClass().getMethod("setEndpoints", Map.class).invoke(openAPI, new TreeMap<>());
    } catch (ReflectiveOperationException | RuntimeException e) {
      // another implementation: it has no such field
    }
  }

  @Override
  public Parameter filterParameter(Parameter p) {
    if (p.getIn() == Parameter.In.PATH) {
      p.setRequired(true); // OpenAPI: a path parameter is always required
    }
    if (Boolean.FALSE.equals(p.getDeprecated())) {
      p.setDeprecated(null);
    }
    if (Boolean.FALSE.equals(p.getAllowEmptyValue())) {
      p.setAllowEmptyValue(null);
    }
    if (Boolean.FALSE.equals(p.getAllowReserved())) {
      p.setAllowReserved(null);
    }
    return p;
  }

  /** Payara copies the annotation's defaults into the schema; none of them is meant. */
  @Override
  public Schema filterSchema(Schema s) {
    if (Boolean.FALSE.equals(s.getNullable())) {
      s.setNullable(null);
    }
    if (Boolean.FALSE.equals(s.getReadOnly())) {
      s.setReadOnly(null);
    }
    if (Boolean.FALSE.equals(s.getWriteOnly())) {
      s.setWriteOnly(null);
    }
    if (Boolean.FALSE.equals(s.getDeprecated())) {
      s.setDeprecated(null);
    }
    if (Boolean.FALSE.equals(s.getUniqueItems())) {
      s.setUniqueItems(null);
    }
    if (Boolean.FALSE.equals(s.getExclusiveMaximum())) {
      s.setExclusiveMaximum(null);
    }
    if (Boolean.FALSE.equals(s.getExclusiveMinimum())) {
      s.setExclusiveMinimum(null);
    }
    if (Integer.valueOf(0).equals(s.getMinLength())) {
      s.setMinLength(null);
    }
    if (Integer.valueOf(0).equals(s.getMaxProperties())) {
      s.setMaxProperties(null);
    }
    if (Integer.valueOf(0).equals(s.getMinProperties())) {
      s.setMinProperties(null);
    }
    return s;
  }
}
