package dev.jobserver.job;

import jakarta.ejb.ApplicationException;

/** A status change that the job's current status does not allow. */
@ApplicationException(rollback = true)
public class IllegalTransitionException extends RuntimeException {
  private final JobStatus from;

  public IllegalTransitionException(JobStatus from, String message) {
    super(message);
    this.from = from;
  }

  public JobStatus from() {
    return from;
  }
}
