package dev.jobserver.job;

import java.util.List;

/** The fields of a job that a streamed listing needs, read straight from a cursor. */
public record JobSummary(
    String id,
    String type,
    JobStatus status,
    boolean force,
    long createAt,
    List<String> stacktrace) {

  public static JobSummary of(Job job) {
    return new JobSummary(
        job.getId(),
        job.getType(),
        job.getStatus(),
        job.isForce(),
        job.getCreateAt(),
        job.getStacktrace());
  }
}
