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
  Roles.TAIPY_ADMIN,
  Roles.JOBS_WORKER
})
@OpenAPIDefinition(
    info =
        @Info(
            title = "Jobserver",
            version = "0.1.0",
            description =
                "A job server that speaks two existing job APIs over one store: the Mattermost REST"
                    + " v4 jobs API under /api/v4/jobs (tag mattermost, operations v4…) and the Taipy"
                    + " REST jobs API under /api/v1/jobs (tag taipy, operations taipy…); and its own"
                    + " native API under /api/jobserver/v1 (tags jobs, schedules, server, workers; operations"
                    + " without a prefix), which is the one to use for new clients. Every call but"
                    + " the sign-in settings needs `Authorization: Bearer <JWT>`; roles come from"
                    + " the token's `groups` claim, and each operation lists the roles that may"
                    + " call it (x-roles). Errors come in each API's own format (AppError,"
                    + " TaipyMessage, ApiError), 401 and 403 included. Every response carries"
                    + " `X-Request-Id`; request bodies over 1 MiB are refused with 413. How to"
                    + " generate a client: docs/clients.md."),
    security = @SecurityRequirement(name = "bearer"),
    tags = {
      @Tag(
          name = "jobs",
          description =
              "Native API: search, create, cancel, retry and delete jobs, their events and result"
                  + " files. Reading: read_jobs, manage_jobs or any TAIPY_ role; changing:"
                  + " manage_jobs or TAIPY_ADMIN. Times are ISO-8601 UTC."),
      @Tag(name = "schedules", description = "Native API: recurring schedules."),
      @Tag(
          name = "workers",
          description =
              "Native API: the remote-worker protocol (role jobs_worker): claims with a long poll,"
                  + " heartbeats, fenced outcomes and result uploads for jobs of remote types"
                  + " (PUT /types/{name}); and the workers connected now."),
      @Tag(
          name = "server",
          description = "Native API: counts and throughput, the job types, the caller."),
      @Tag(
          name = "mattermost",
          description =
              "Mattermost REST v4 jobs API (role manage_jobs; read_jobs may read), with the"
                  + " job types list as an extension."),
      @Tag(
          name = "taipy",
          description =
              "Taipy REST jobs API; roles TAIPY_READER, TAIPY_EDITOR, TAIPY_EXECUTOR, TAIPY_ADMIN."),
      @Tag(name = "sign-in", description = "Single sign-on settings for the console; no token.")
    })
@SecurityScheme(
    securitySchemeName = "bearer",
    type = SecuritySchemeType.HTTP,
    scheme = "bearer",
    bearerFormat = "JWT",
    description =
        "A JWT from the company's single sign-on (or the development token that the run command"
            + " prints); roles in its `groups` claim, or the claim JOBSERVER_ROLES_CLAIM names:"
            + " manage_jobs, read_jobs, TAIPY_READER, TAIPY_EDITOR, TAIPY_EXECUTOR, TAIPY_ADMIN,"
            + " jobs_worker (remote workers).")
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
