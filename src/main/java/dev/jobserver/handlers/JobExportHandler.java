package dev.jobserver.handlers;

import dev.jobserver.engine.JobContext;
import dev.jobserver.engine.JobHandler;
import dev.jobserver.engine.JobTypeSettings;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.JobExport;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Exports job records matching {@code type}, {@code status} (v4 names, comma-separated) and {@code
 * since} (epoch ms or ISO-8601 instant) as CSV into the job's downloadable result.
 */
@ApplicationScoped
public class JobExportHandler implements JobHandler {

  @Inject private JobExport export;

  @Override
  public String type() {
    return "job_export";
  }

  @Override
  public String description() {
    return "Exports job records matching data.type, data.status and data.since as a CSV file to"
        + " download from /api/v4/jobs/{id}/download.";
  }

  @Override
  public JobTypeSettings settings() {
    return new JobTypeSettings(Duration.ofHours(2), 1, Duration.ofSeconds(5), 2);
  }

  @Override
  public void run(JobContext context) throws Exception {
    Map<String, String> data = context.data();
    String type = blankToNull(data.get("type"));
    List<JobStatus> statuses = statuses(data.get("status"));
    long since = since(data.get("since"));
    String fileName = "jobs-" + context.jobId() + ".csv";
    long count;
    try (Writer out =
        new BufferedWriter(
            new OutputStreamWriter(
                context.openResult(fileName, "text/csv; charset=UTF-8"), StandardCharsets.UTF_8),
            65536)) {
      count = export.exportCsv(type, statuses, since, out, context::cancelRequested);
    }
    context.putData("exported", Long.toString(count));
    context.putData("file_name", fileName);
  }

  static List<JobStatus> statuses(String value) {
    List<JobStatus> out = new ArrayList<>();
    if (value == null || value.isBlank()) {
      return out;
    }
    for (String name : value.split(",")) {
      List<JobStatus> s = JobStatus.fromMattermost(name.trim());
      if (s.isEmpty()) {
        throw new IllegalArgumentException(
            "data.status has an unknown status: '" + shown(name.trim()) + "'");
      }
      out.addAll(s);
    }
    return out;
  }

  static long since(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      try {
        return Instant.parse(value.trim()).toEpochMilli();
      } catch (DateTimeParseException | ArithmeticException e2) {
        // ArithmeticException: an instant that is valid ISO-8601 but past what epoch
        // milliseconds can count (year +999999999); the bare "long overflow" names nothing
        throw new IllegalArgumentException(
            "data.since must be epoch milliseconds or an ISO-8601 instant between years"
                + " -292275055 and 292278994, got '"
                + shown(value)
                + "'");
      }
    }
  }

  /** A value for a message: the data may be up to 1 MiB, the job's error should not be. */
  private static String shown(String value) {
    return value.length() <= 64 ? value : value.substring(0, 64) + "...";
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
