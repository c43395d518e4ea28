package dev.jobserver.job;

import java.util.List;
import java.util.Map;

/**
 * A job as the APIs show it, read straight from its row (lists stream these, a page at a time,
 * without JPA entities): every column a view may need, data and traces still as stored JSON.
 */
public record JobRecord(
    String id,
    String type,
    int priority,
    long createAt,
    long startAt,
    long lastActivityAt,
    JobStatus status,
    int progress,
    String dataJson,
    String stacktraceJson,
    boolean force,
    String createdBy,
    int attempt,
    int maxAttempts,
    long runAfter,
    JobResultInfo result,
    String scheduleId,
    Long dueAt,
    List<String> dependsOn) {

  public static JobRecord of(Job job, JobResultInfo result) {
    return new JobRecord(
        job.getId(),
        job.getType(),
        job.getPriority(),
        job.getCreateAt(),
        job.getStartAt(),
        job.getLastActivityAt(),
        job.getStatus(),
        job.getProgress(),
        job.dataJson(),
        JobData.listToJson(job.getStacktrace()),
        job.isForce(),
        job.getCreatedBy(),
        job.getAttempt(),
        job.getMaxAttempts(),
        job.getRunAfter(),
        result,
        job.getScheduleId(),
        job.getDueAt(),
        job.getDependsOn());
  }

  /** The same job with the ids of the jobs it depends on. */
  public JobRecord withDependsOn(List<String> ids) {
    return new JobRecord(
        id,
        type,
        priority,
        createAt,
        startAt,
        lastActivityAt,
        status,
        progress,
        dataJson,
        stacktraceJson,
        force,
        createdBy,
        attempt,
        maxAttempts,
        runAfter,
        result,
        scheduleId,
        dueAt,
        List.copyOf(ids));
  }

  public Map<String, String> data() {
    return JobData.fromJson(dataJson);
  }

  public List<String> stacktrace() {
    return JobData.listFromJson(stacktraceJson);
  }

  /** Roughly how many bytes it takes in memory (its JSON columns dominate). */
  public long weight() {
    return 256L
        + 2L * (dataJson == null ? 0 : dataJson.length())
        + 2L * (stacktraceJson == null ? 0 : stacktraceJson.length());
  }
}
