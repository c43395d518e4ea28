package dev.jobserver.api.mattermost;

import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The v4 job JSON, for the OpenAPI document only. */
@Schema(
    name = "MattermostJob",
    description = "A job as the Mattermost v4 API shows it; every field is always present.")
public class JobSchema {
  @Schema(
      description = "26 characters [a-z0-9], or a Taipy id JOB_<type>_<uuid4>",
      example = "8kbwz6bs1tfudqh1w9yfbm3ksa")
  public String id;

  @Schema(description = "The job type", example = "noop")
  public String type;

  @Schema(description = "Higher runs first")
  public int priority;

  @Schema(description = "Epoch milliseconds")
  public long create_at;

  @Schema(description = "Epoch milliseconds, 0 until it starts")
  public long start_at;

  @Schema(description = "Epoch milliseconds of the last progress or status change, 0 until then")
  public long last_activity_at;

  @Schema(
      enumeration = {
        "pending",
        "in_progress",
        "success",
        "error",
        "cancel_requested",
        "canceled",
        "warning"
      })
  public String status;

  @Schema(description = "0-100; -1 after an error")
  public int progress;

  @Schema(description = "String values; a failed job has data.error")
  public Map<String, String> data;
}
