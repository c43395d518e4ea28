package dev.jobserver.store;

import dev.jobserver.job.JobLifecycle.Cause;
import java.util.Map;

/**
 * How one run of a job ended, as the engine reports it; the job's state machine decides what the
 * job becomes (a failure may be retried, a run under a cancel request ends canceled).
 *
 * @param cause SUCCEED, WARN, SKIP, FAIL or STOP_CANCELED
 * @param progress what the run reported last
 * @param data keys the handler added to the job's data (e.g. counts, the warning)
 * @param error the failure's message (FAIL)
 * @param stacktrace the failure's stack trace, kept for the v1 API (FAIL)
 * @param retryAt when a failure that is retried may run again (epoch ms)
 * @param message the event's message, when it is not the error
 * @param keepsLease the run's thread has not returned yet (it was stopped from outside): the job
 *     stays leased by this instance, which gives it up when the thread has returned ({@link
 *     JobStore#release}), so that no instance starts it again while the old run is alive
 * @param finalFailure a failure that is not retried whatever attempts remain (FAIL)
 */
public record RunOutcome(
    String jobId,
    int attempt,
    Cause cause,
    int progress,
    Map<String, String> data,
    String error,
    String stacktrace,
    long retryAt,
    String message,
    boolean keepsLease,
    boolean finalFailure) {

  public RunOutcome(
      String jobId,
      int attempt,
      Cause cause,
      int progress,
      Map<String, String> data,
      String error,
      String stacktrace,
      long retryAt,
      String message) {
    this(jobId, attempt, cause, progress, data, error, stacktrace, retryAt, message, false, false);
  }

  public RunOutcome(
      String jobId,
      int attempt,
      Cause cause,
      int progress,
      Map<String, String> data,
      String error,
      String stacktrace,
      long retryAt,
      String message,
      boolean keepsLease) {
    this(
        jobId,
        attempt,
        cause,
        progress,
        data,
        error,
        stacktrace,
        retryAt,
        message,
        keepsLease,
        false);
  }

  /** The same failure, not retried whatever attempts remain. */
  public RunOutcome asFinal() {
    return new RunOutcome(
        jobId,
        attempt,
        cause,
        progress,
        data,
        error,
        stacktrace,
        retryAt,
        message,
        keepsLease,
        true);
  }

  /** The same outcome, written while the run's thread is still alive. */
  public RunOutcome keepingLease() {
    return new RunOutcome(
        jobId,
        attempt,
        cause,
        progress,
        data,
        error,
        stacktrace,
        retryAt,
        message,
        true,
        finalFailure);
  }
}
