package dev.jobserver.api.jobserver;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.job.Job;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.util.Map;

/** A schedule's job as the schedule routes show it (the native job's fields). */
final class ScheduleJobs {

  private ScheduleJobs() {}

  static JsonObject of(Job job) {
    JsonObjectBuilder data = JSON.createObjectBuilder();
    Map<String, String> d = job.getData();
    d.forEach(data::add);
    JsonArrayBuilder deps = JSON.createArrayBuilder();
    job.getDependsOn().forEach(deps::add);
    JsonObjectBuilder b =
        JSON.createObjectBuilder()
            .add("id", job.getId())
            .add("type", job.getType())
            .add("status", job.getStatus().name().toLowerCase())
            .add("priority", job.getPriority())
            .add("data", data)
            .add("progress", job.getProgress())
            .add("attempt", job.getAttempt())
            .add("max_attempts", job.getMaxAttempts())
            .add("created_at", ScheduleView.iso(job.getCreateAt()));
    time(b, "run_at", job.getRunAfter());
    time(b, "started_at", job.getStartAt());
    time(b, "updated_at", job.getLastActivityAt());
    b.add("created_by", job.getCreatedBy() == null ? "" : job.getCreatedBy());
    if (d.containsKey("error")) {
      b.add("error", d.get("error"));
    } else {
      b.addNull("error");
    }
    b.add("depends_on", deps);
    if (job.getScheduleId() == null) {
      b.addNull("schedule_id");
    } else {
      b.add("schedule_id", job.getScheduleId());
    }
    time(b, "due_at", job.getDueAt() == null ? 0 : job.getDueAt());
    return b.build();
  }

  private static void time(JsonObjectBuilder b, String name, long millis) {
    if (millis <= 0) {
      b.addNull(name);
    } else {
      b.add(name, ScheduleView.iso(millis));
    }
  }
}
