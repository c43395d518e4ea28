package dev.jobserver.api.mattermost;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.job.Job;
import dev.jobserver.job.JobRecord;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.stream.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;

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

  /**
   * The same JSON as {@link #of(Job)}, for a listed job, written as it goes. Its data is copied as
   * stored, never parsed: the stored form is the JSON object of strings that {@link
   * dev.jobserver.job.JobData#toJson} wrote, and parsing a job's megabyte of data into a map to
   * write it again cost several times its size in heap for each list being written (30 clients that
   * stopped reading 200-job lists of 1 MB jobs ran a 384 MB heap out of memory).
   */
  static void write(Writer out, JobRecord job) throws IOException {
    StringWriter head = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(head)) {
      g.writeStartObject()
          .write("id", job.id())
          .write("type", job.type())
          .write("priority", job.priority())
          .write("create_at", job.createAt())
          .write("start_at", job.startAt())
          .write("last_activity_at", job.lastActivityAt())
          .write("status", job.status().mattermost())
          .write("progress", job.progress())
          .writeEnd();
    }
    StringBuffer fields = head.getBuffer(); // {...}: the data goes before its closing brace
    out.append(fields, 0, fields.length() - 1).append(",\"data\":");
    String data = job.dataJson();
    out.write(data == null || data.isBlank() ? "{}" : data);
    out.write('}');
  }
}
