package dev.jobserver.api.mattermost;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The v4 PATCH status body, for the OpenAPI document only. */
@Schema(name = "StatusChange")
public class StatusChangeSchema {
  @Schema(
      required = true,
      enumeration = {"pending", "cancel_requested", "canceled"})
  public String status;

  @Schema(description = "Allow the change from any status")
  public Boolean force;
}
