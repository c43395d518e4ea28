package dev.jobserver.api.mattermost;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Mattermost's AppError, for the OpenAPI document only. */
@Schema(name = "AppError", description = "Every v4 error; the HTTP status equals status_code.")
public class AppErrorSchema {
  @Schema(example = "app.job.get.app_error")
  public String id;

  public String message;

  @Schema(description = "What was wrong; never a stack trace")
  public String detailed_error;

  @Schema(description = "The response's X-Request-Id")
  public String request_id;

  public int status_code;
}
