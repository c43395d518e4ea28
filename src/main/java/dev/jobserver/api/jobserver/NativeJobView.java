package dev.jobserver.api.jobserver;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.job.JobEvent;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.JobResultInfo;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.util.List;
import java.util.Map;

/** The native job JSON (API.md, Native API): every field always present, times ISO or null. */
final class NativeJobView {
  private NativeJobView() {}

  /**
   * The job with its stack traces (the failures' traces, oldest first, at most the latest ten): the
   * single-job view; lists leave them out (pages stay small).
   */
  static JsonObject full(JobRecord job) {
    JsonArrayBuilder traces = JSON.createArrayBuilder();
    job.stacktrace().forEach(traces::add);
    return JSON.createObjectBuilder(of(job)).add("stacktrace", traces).build();
  }

  static JsonObject of(JobRecord job) {
    Map<String, String> data = job.data();
    JsonObjectBuilder dataJson = JSON.createObjectBuilder();
    data.forEach(dataJson::add);
    JsonObjectBuilder b =
        JSON.createObjectBuilder()
            .add("id", job.id())
            .add("type", job.type())
            .add("status", NativeParams.name(job.status()))
            .add("priority", job.priority())
            .add("data", dataJson)
            .add("progress", job.progress())
            .add("attempt", job.attempt())
            .add("max_attempts", job.maxAttempts())
            .add("created_at", NativeTimes.iso(job.createAt()));
    time(b, "run_at", job.runAfter());
    time(b, "started_at", job.startAt());
    // every status change and every progress write sets last_activity_at: for a finished job it
    // is when it finished
    time(b, "finished_at", job.status().isFinished() ? job.lastActivityAt() : 0);
    b.add("updated_at", NativeTimes.iso(Math.max(job.createAt(), job.lastActivityAt())));
    text(b, "created_by", job.createdBy());
    text(b, "error", data.get("error"));
    JsonArrayBuilder deps = JSON.createArrayBuilder();
    job.dependsOn().forEach(deps::add);
    b.add("depends_on", deps);
    text(b, "schedule_id", job.scheduleId());
    JobResultInfo result = job.result();
    if (result != null && job.status().isFinished()) {
      b.add(
          "result",
          JSON.createObjectBuilder()
              .add("file_name", result.fileName())
              .add("content_type", result.contentType())
              .add("size", result.size()));
    } else {
      b.addNull("result");
    }
    return b.build();
  }

  static String events(List<JobEvent> events) {
    JsonArrayBuilder a = JSON.createArrayBuilder();
    for (JobEvent e : events) {
      JsonObjectBuilder b =
          JSON.createObjectBuilder().add("at", NativeTimes.iso(e.at())).add("actor", e.actor());
      if (e.from() == null) {
        b.addNull("from");
      } else {
        b.add("from", NativeParams.name(e.from()));
      }
      b.add("to", NativeParams.name(e.to()));
      text(b, "message", e.message());
      a.add(b);
    }
    return a.build().toString();
  }

  private static void time(JsonObjectBuilder b, String name, long millis) {
    if (millis > 0) {
      b.add(name, NativeTimes.iso(millis));
    } else {
      b.addNull(name);
    }
  }

  private static void text(JsonObjectBuilder b, String name, String value) {
    if (value == null) {
      b.addNull(name);
    } else {
      b.add(name, value);
    }
  }
}
