package dev.jobserver;

import dev.jobserver.security.Roles;
import jakarta.annotation.security.DeclareRoles;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import java.util.Map;
import org.eclipse.microprofile.auth.LoginConfig;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The REST application: every API lives under /api and needs a MicroProfile JWT bearer token. */
@ApplicationPath("/api")
@ApplicationScoped
@LoginConfig(authMethod = "MP-JWT")
@DeclareRoles({
  Roles.MANAGE_JOBS,
  Roles.READ_JOBS,
  Roles.TAIPY_READER,
  Roles.TAIPY_EDITOR,
  Roles.TAIPY_EXECUTOR,
  Roles.TAIPY_ADMIN
})
@OpenAPIDefinition(
    info =
        @Info(
            title = "Jobserver",
            version = "0.1.0",
            description =
                "A job server that speaks two existing job APIs over one store: the Taipy REST jobs"
                    + " API under /api/v1/jobs and the Mattermost REST v4 jobs API under"
                    + " /api/v4/jobs. Every call needs `Authorization: Bearer <JWT>`; roles come"
                    + " from the token's `groups` claim. Every response carries `X-Request-Id`;"
                    + " request bodies over 1 MiB are refused with 413."),
    security = @SecurityRequirement(name = "bearer"),
    tags = {
      @Tag(
          name = "v4 jobs (Mattermost)",
          description = "Mattermost REST v4 jobs API; role manage_jobs (read_jobs may read)."),
      @Tag(
          name = "v1 jobs (Taipy)",
          description =
              "Taipy REST jobs API; roles TAIPY_READER, TAIPY_EDITOR, TAIPY_EXECUTOR, TAIPY_ADMIN."),
      @Tag(name = "job types", description = "The registered job types (= Taipy task configs).")
    })
@SecurityScheme(
    securitySchemeName = "bearer",
    type = SecuritySchemeType.HTTP,
    scheme = "bearer",
    bearerFormat = "JWT",
    description = "A MicroProfile JWT from the company's single sign-on; roles in `groups`.")
public class JobServerApplication extends Application {

  /**
   * Jersey describes every route in WADL to any OPTIONS request, before any role check: the
   * contract is the OpenAPI document, which is documented and reviewed.
   */
  @Override
  public Map<String, Object> getProperties() {
    return Map.of("jersey.config.server.wadl.disableWadl", true);
  }
}
