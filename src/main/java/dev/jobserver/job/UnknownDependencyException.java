package dev.jobserver.job;

import jakarta.ejb.ApplicationException;

/** A new job names a job to depend on that does not exist. */
@ApplicationException(rollback = true)
public class UnknownDependencyException extends RuntimeException {
  private final String jobId;

  public UnknownDependencyException(String jobId) {
    super("depends_on: job " + jobId + " does not exist.");
    this.jobId = jobId;
  }

  /** The id that names no job. */
  public String jobId() {
    return jobId;
  }
}
