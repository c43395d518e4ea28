package dev.jobserver.api.mattermost;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.job.Job;
import dev.jobserver.job.JobRecord;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.stream.JsonGenerator;

/** The Mattermost job JSON: every field always present, data an object of strings. */
final class MattermostJobView {
  private MattermostJobView() {}

  static JsonObject of(Job job) {
    JsonObjectBuilder data = JSON.createObjectBuilder();
    job.getData().forEach(data::add);
    return JSON.createObjectBuilder()
        .add("id", job.getId())
        .add("type", job.getType())
        .add("priority", job.getPriority())
        .add("create_at", job.getCreateAt())
        .add("start_at", job.getStartAt())
        .add("last_activity_at", job.getLastActivityAt())
        .add("status", job.getStatus().mattermost())
        .add("progress", job.getProgress())
        .add("data", data)
        .build();
  }

  /** The same JSON as {@link #of(Job)}, for a listed job, written as it goes. */
  static void write(JsonGenerator g, JobRecord job) {
    g.writeStartObject()
        .write("id", job.id())
        .write("type", job.type())
        .write("priority", job.priority())
        .write("create_at", job.createAt())
        .write("start_at", job.startAt())
        .write("last_activity_at", job.lastActivityAt())
        .write("status", job.status().mattermost())
        .write("progress", job.progress())
        .writeStartObject("data");
    job.data().forEach(g::write);
    g.writeEnd().writeEnd();
  }
}
