package dev.jobserver.job;

import jakarta.ejb.ApplicationException;

@ApplicationException(rollback = true)
public class JobNotFoundException extends RuntimeException {
  private final String jobId;

  public JobNotFoundException(String jobId) {
    super("Job " + jobId + " does not exist.");
    this.jobId = jobId;
  }

  public String jobId() {
    return jobId;
  }
}
