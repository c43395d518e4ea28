package dev.jobserver.api.mattermost;

import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The v4 create body, for the OpenAPI document only. */
@Schema(name = "CreateJob")
public class CreateJobSchema {
  @Schema(
      required = true,
      description = "A registered job type (see GET /api/v4/jobs/types)",
      example = "sleep")
  public String type;

  @Schema(description = "String values only", example = "{\"duration_ms\": \"2000\"}")
  public Map<String, String> data;

  @Schema(description = "Extension: higher runs first; default 0")
  public Integer priority;

  @Schema(description = "Extension: epoch milliseconds; the job stays pending until then")
  public Long run_at;

  @Schema(
      description =
          "Extension: up to 100 existing job ids; the job waits (pending) until each has ended"
              + " well, and ends canceled if one fails or is canceled")
  public java.util.List<String> depends_on;
}
