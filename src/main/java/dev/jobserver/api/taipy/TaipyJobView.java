package dev.jobserver.api.taipy;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.job.JobIds;
import dev.jobserver.job.JobRecord;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.stream.JsonGenerator;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The Taipy job JSON. */
final class TaipyJobView {
  private static final DateTimeFormatter CREATION_DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

  private TaipyJobView() {}

  static String creationDate(long epochMillis) {
    return CREATION_DATE.format(Instant.ofEpochMilli(epochMillis));
  }

  static JsonObject of(JobRecord job) {
    JsonArrayBuilder trace = JSON.createArrayBuilder();
    job.stacktrace().forEach(trace::add);
    return JSON.createObjectBuilder()
        .add("id", job.id())
        .add("task_id", JobIds.taipyTaskId(job.type()))
        .add("status", job.status().taipy())
        .add("force", job.force())
        .add("creation_date", creationDate(job.createAt()))
        .add("subscribers", JSON.createArrayBuilder())
        .add("stacktrace", trace)
        .build();
  }

  static void write(JsonGenerator g, JobRecord job) {
    g.writeStartObject()
        .write("id", job.id())
        .write("task_id", JobIds.taipyTaskId(job.type()))
        .write("status", job.status().taipy())
        .write("force", job.force())
        .write("creation_date", creationDate(job.createAt()))
        .writeStartArray("subscribers")
        .writeEnd()
        .writeStartArray("stacktrace");
    job.stacktrace().forEach(g::write);
    g.writeEnd().writeEnd();
  }
}
