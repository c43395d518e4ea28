package dev.jobserver.api.mattermost;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.job.Job;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.util.List;

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

  static String list(List<Job> jobs) {
    JsonArrayBuilder a = JSON.createArrayBuilder();
    jobs.forEach(j -> a.add(of(j)));
    return a.build().toString();
  }
}
