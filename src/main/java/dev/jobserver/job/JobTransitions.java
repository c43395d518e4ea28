package dev.jobserver.job;

import static dev.jobserver.job.JobStatus.BLOCKED;
import static dev.jobserver.job.JobStatus.CANCELED;
import static dev.jobserver.job.JobStatus.CANCEL_REQUESTED;
import static dev.jobserver.job.JobStatus.PENDING;
import static dev.jobserver.job.JobStatus.RUNNING;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which status changes a client may ask for. The one place that says what is legal; the engine's
 * own transitions (claim, finish, recover) are in {@link JobQueue}, guarded by the same statuses.
 */
public final class JobTransitions {

  /** What a client may set with force. */
  private static final Set<JobStatus> FORCEABLE = EnumSet.of(PENDING, CANCEL_REQUESTED, CANCELED);

  private JobTransitions() {}

  /** What a cancel request turns a job into; the job stays as it is when this returns itself. */
  public static JobStatus cancel(JobStatus from) {
    return switch (from) {
      case PENDING, BLOCKED -> CANCELED;
      case RUNNING -> CANCEL_REQUESTED;
      case CANCEL_REQUESTED -> CANCEL_REQUESTED;
      default ->
          throw new IllegalTransitionException(
              from,
              "The job has already finished (" + from.mattermost() + ") and cannot be canceled.");
    };
  }

  /**
   * The status a PATCH to {@code target} really produces from {@code from} (a pending job asked to
   * cancel ends canceled at once), or an exception when the change is not allowed.
   */
  public static JobStatus patch(JobStatus from, JobStatus target, boolean force) {
    if (force) {
      if (!FORCEABLE.contains(target)) {
        throw new IllegalTransitionException(
            from, "A forced status must be pending, cancel_requested or canceled.");
      }
      // Only a running job has a run to stop; any other job asked to cancel is canceled at once.
      if (target == CANCEL_REQUESTED && from != RUNNING && from != CANCEL_REQUESTED) {
        return CANCELED;
      }
      return target;
    }
    boolean allowed =
        (from == RUNNING && target == PENDING)
            || ((from == RUNNING || from == PENDING || from == BLOCKED)
                && target == CANCEL_REQUESTED)
            || (from == CANCEL_REQUESTED && target == CANCELED);
    if (!allowed) {
      throw new IllegalTransitionException(
          from,
          "Cannot change the status from "
              + from.mattermost()
              + " to "
              + target.mattermost()
              + " without force.");
    }
    return target == CANCEL_REQUESTED && from != RUNNING ? CANCELED : target;
  }
}
