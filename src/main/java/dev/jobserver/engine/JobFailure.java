package dev.jobserver.engine;

import java.time.Duration;

/**
 * A handler's failure that says what should follow: a retry at a given time (the receiver's {@code
 * Retry-After}), or none at all (a request that can never succeed). Any other exception fails the
 * attempt and is retried with the type's backoff while attempts remain.
 */
public final class JobFailure extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean retryable;
  private final transient Duration retryAfter;

  private JobFailure(String message, Throwable cause, boolean retryable, Duration retryAfter) {
    super(message, cause);
    this.retryable = retryable;
    this.retryAfter = retryAfter;
  }

  /** Fails the job at once, whatever attempts remain. */
  public static JobFailure permanent(String message) {
    return new JobFailure(message, null, false, null);
  }

  /**
   * Fails this attempt; the next (if any remain) runs after {@code after}, or after the type's
   * backoff when it is null.
   */
  public static JobFailure retryAfter(String message, Duration after, Throwable cause) {
    return new JobFailure(message, cause, true, after);
  }

  /** Whether a later attempt may run (if any remain). */
  public boolean retryable() {
    return retryable;
  }

  /** The wait before the next attempt, or null for the type's backoff. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
