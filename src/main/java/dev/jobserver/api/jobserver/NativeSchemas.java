package dev.jobserver.api.jobserver;

import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The native API's JSON shapes, for the OpenAPI document only. */
final class NativeSchemas {
  private NativeSchemas() {}

  static final String TIME = "ISO-8601 UTC with milliseconds, e.g. 2026-11-28T08:00:00.000Z";
  static final String TIME_INPUT =
      "ISO-8601 (e.g. 2026-11-28T08:00:00.000Z, or a date alone: its midnight UTC) or epoch"
          + " milliseconds";

  @Schema(name = "NativeError", description = "Every error of the native API, 401 and 403 included")
  public static class Error {
    @Schema(description = "What was wrong; names the parameter or field at fault")
    public String message;

    @Schema(description = "The response's X-Request-Id")
    public String request_id;
  }

  @Schema(name = "NativeResult", description = "A finished job's result file")
  public static class Result {
    public String file_name;
    public String content_type;

    @Schema(description = "Bytes")
    public long size;
  }

  @Schema(name = "NativeJob", description = "A job; every field is always present")
  public static class Job {
    @Schema(example = "8kbwz6bs1tfudqh1w9yfbm3ksa")
    public String id;

    @Schema(example = "sleep")
    public String type;

    @Schema(
        enumeration = {
          "pending",
          "blocked",
          "running",
          "cancel_requested",
          "completed",
          "warning",
          "failed",
          "canceled",
          "skipped",
          "abandoned"
        })
    public String status;

    @Schema(description = "Higher runs first")
    public int priority;

    @Schema(description = "String values; a failed job has data.error")
    public Map<String, String> data;

    @Schema(description = "0-100; -1 after a failure")
    public int progress;

    @Schema(description = "Runs started so far")
    public int attempt;

    @Schema(description = "The most runs it may take")
    public int max_attempts;

    @Schema(description = TIME)
    public String created_at;

    @Schema(description = "Not started before this (" + TIME + "), or null", nullable = true)
    public String run_at;

    @Schema(description = "When its current or last run started, or null", nullable = true)
    public String started_at;

    @Schema(description = "When it finished, or null while it has not", nullable = true)
    public String finished_at;

    @Schema(description = "Its last status change or progress")
    public String updated_at;

    @Schema(description = "The token subject of its creator", nullable = true)
    public String created_by;

    @Schema(description = "data.error, or null", nullable = true)
    public String error;

    @Schema(description = "Jobs it waits for (none yet)")
    public List<String> depends_on;

    @Schema(description = "The schedule that created it (none yet)", nullable = true)
    public String schedule_id;

    @Schema(nullable = true, description = "A finished job's result file, or null")
    public Result result;
  }

  @Schema(name = "NativeJobPage", description = "One page of a search, newest first")
  public static class JobPage {
    public List<Job> jobs;

    @Schema(
        nullable = true,
        description = "Pass it as cursor for the next page; null on the last page")
    public String next_cursor;
  }

  @Schema(name = "NativeCreateJob")
  public static class CreateJob {
    @Schema(required = true, description = "A registered job type (GET /types)", example = "sleep")
    public String type;

    @Schema(description = "String values only", example = "{\"duration_ms\": \"2000\"}")
    public Map<String, String> data;

    @Schema(description = "Integer from -1000000 to 1000000, higher runs first; default 0")
    public Integer priority;

    @Schema(
        description = "Not started before this: " + TIME_INPUT,
        oneOf = {String.class, Long.class})
    public Object run_at;

    @Schema(description = "1-100; default the type's setting")
    public Integer max_attempts;

    @Schema(description = "Not supported yet: a non-empty list is refused with 400")
    public List<String> depends_on;
  }

  @Schema(name = "NativeEvent", description = "One status change of a job")
  public static class Event {
    @Schema(description = TIME)
    public String at;

    @Schema(
        description =
            "Who made it: a token subject, engine:<instance>, schedule:<id> or dependency:<id>")
    public String actor;

    @Schema(nullable = true, description = "null for the creation")
    public String from;

    public String to;

    @Schema(nullable = true)
    public String message;
  }

  @Schema(name = "NativeTypeStats")
  public static class TypeStats {
    @Schema(
        description =
            "One count per status (pending, blocked, running, ... abandoned), then these three")
    public long pending;

    @Schema(description = "Jobs that finished in the last hour")
    public long finished_last_hour;

    @Schema(description = "Jobs that ended failed in the last hour")
    public long failed_last_hour;

    @Schema(description = "Mean run time of the runs that ended in the last hour; 0 if none")
    public long avg_run_ms;
  }

  @Schema(name = "NativeInstance", description = "An instance whose engine is alive")
  public static class Instance {
    public String id;

    @Schema(description = "Most jobs it runs at once")
    public int workers;

    @Schema(description = "Jobs it ran at its last heartbeat")
    public int busy;

    @Schema(description = TIME)
    public String last_seen_at;
  }

  @Schema(name = "NativeStats")
  public static class Stats {
    @Schema(
        type = SchemaType.OBJECT,
        description = "By type name",
        additionalProperties = TypeStats.class)
    public Map<String, TypeStats> types;

    public List<Instance> instances;
  }

  @Schema(name = "NativeJobType")
  public static class JobType {
    public String type;
    public String description;

    @Schema(description = "Its Taipy task id")
    public String task_id;

    public long timeout_ms;
    public int max_attempts;
    public long backoff_ms;

    @Schema(description = "Most runs at once per instance; 0: no limit")
    public int max_concurrent;
  }

  @Schema(name = "NativeMe", description = "The caller, as the server sees its token")
  public static class Me {
    public String subject;

    @Schema(description = "The caller's roles that Jobserver knows")
    public List<String> roles;

    @Schema(description = "Whether it may create, cancel, retry and delete jobs")
    public boolean can_write;
  }
}
