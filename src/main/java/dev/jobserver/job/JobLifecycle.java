package dev.jobserver.job;

import static dev.jobserver.job.JobStatus.ABANDONED;
import static dev.jobserver.job.JobStatus.BLOCKED;
import static dev.jobserver.job.JobStatus.CANCELED;
import static dev.jobserver.job.JobStatus.CANCEL_REQUESTED;
import static dev.jobserver.job.JobStatus.COMPLETED;
import static dev.jobserver.job.JobStatus.FAILED;
import static dev.jobserver.job.JobStatus.PENDING;
import static dev.jobserver.job.JobStatus.RUNNING;
import static dev.jobserver.job.JobStatus.SKIPPED;
import static dev.jobserver.job.JobStatus.WARNING;

import java.util.EnumSet;
import java.util.Set;

/**
 * The job's state machine: the one place that says which status change is legal, for which actor,
 * and what else it implies. Every status write in the code asks it first; the stores only apply the
 * {@link Transition} it returns. Pure: no database, no clock, no threads.
 */
public final class JobLifecycle {

  private JobLifecycle() {}

  /** Who makes a change. */
  public enum Actor {
    /** An API caller (its token subject is the event's actor). */
    CALLER,
    /** The engine of the instance that runs the job. */
    ENGINE,
    /** An engine that finds a job whose instance stopped renewing its lease. */
    RECOVERY,
    /** The outcome of a job this one depends on. */
    DEPENDENCY,
    /** A recurring schedule. */
    SCHEDULE
  }

  /** Why a job's status is to change: each cause belongs to one actor. */
  public enum Cause {
    /** Cancel (v4 cancel, v1 cancel, native cancel, PATCH cancel_requested). */
    CANCEL(Actor.CALLER),
    /** PATCH cancel_requested with force: any status; a job without a run ends canceled. */
    CANCEL_FORCED(Actor.CALLER),
    /** PATCH canceled without force: confirms a requested cancel. */
    CONFIRM_CANCEL(Actor.CALLER),
    /** PATCH canceled with force. */
    FORCE_CANCELED(Actor.CALLER),
    /** PATCH pending without force: a running job starts over. */
    REQUEUE(Actor.CALLER),
    /** PATCH pending with force. */
    FORCE_PENDING(Actor.CALLER),
    /** A failed, canceled or abandoned job is given a fresh attempt budget. */
    RETRY(Actor.CALLER),
    /** A worker starts the job's handler. */
    START(Actor.ENGINE),
    /** The handler returned. */
    SUCCEED(Actor.ENGINE),
    /** The handler returned after {@code warn}. */
    WARN(Actor.ENGINE),
    /** The handler ended the run with {@code skip}: nothing to do. */
    SKIP(Actor.ENGINE),
    /** The handler threw, or timed out. */
    FAIL(Actor.ENGINE),
    /** The run stopped because a cancel was requested. */
    STOP_CANCELED(Actor.ENGINE),
    /** The instance stops: a started run that did not finish goes back to the queue. */
    HAND_BACK(Actor.ENGINE),
    /** The instance running the job stopped renewing its lease. */
    LEASE_EXPIRED(Actor.RECOVERY),
    /** Every job this one depends on ended well. */
    DEPENDENCIES_MET(Actor.DEPENDENCY),
    /** A job this one depends on failed, was canceled or abandoned. */
    DEPENDENCY_FAILED(Actor.DEPENDENCY);

    private final Actor actor;

    Cause(Actor actor) {
      this.actor = actor;
    }

    public Actor actor() {
      return actor;
    }
  }

  /** What the attempt counter does. */
  public enum Attempts {
    KEEP,
    /** A run starts: one more attempt. */
    COUNT,
    /** A started run is handed back unfinished: it does not use up an attempt. */
    GIVE_BACK,
    /** A fresh budget of the type's attempts from here on (requeue, retry). */
    FRESH_BUDGET
  }

  public enum Progress {
    KEEP,
    ZERO,
    FULL,
    /** -1: the job failed (Mattermost shows it so). */
    FAILED,
    /** What the run reported last. */
    REPORTED
  }

  public enum Error {
    KEEP,
    /** The job ended well: an earlier attempt's error goes (it stays in the events). */
    CLEAR,
    /** This change's message becomes the job's error. */
    SET
  }

  /** What happens to the job's result file. */
  public enum Result {
    KEEP,
    /** The run that wrote it failed, was canceled or is superseded. */
    DISCARD
  }

  /**
   * Where a job's own dependencies stand, for a change that depends on them (a retry): all ended
   * well (or it has none), some have not ended yet, or one ended failed, canceled or abandoned.
   */
  public enum Dependencies {
    MET,
    WAITING,
    FAILED
  }

  /** What the change means for the jobs that depend on this one. */
  public enum Dependents {
    NONE,
    /** This job ended well: dependents whose other dependencies are met become pending. */
    UNBLOCK,
    /** This job ended badly: its blocked dependents are abandoned, and theirs. */
    ABANDON
  }

  /**
   * A decided change and everything it implies, for the store to apply.
   *
   * @param from the status the decision was made on
   * @param to the status to write; equal to {@code from} for a change that changes nothing
   * @param startAt {@code true}: start_at becomes now; {@code false} with {@code to == PENDING}:
   *     start_at is reset to 0 (nothing runs); otherwise kept
   * @param clearsLease the job is no longer any instance's. Never for a caller's change: the lease
   *     belongs to the instance that holds the job, which gives it up only when its run's thread
   *     has returned, so that no instance can start the job again while an old run is alive
   * @param backoff run_after is set to the retry's backoff (else, going to PENDING, to now)
   * @param stopsRun an instance may be running (or holding) this job and must stop it
   */
  public record Transition(
      JobStatus from,
      JobStatus to,
      Cause cause,
      Attempts attempts,
      Progress progress,
      Error error,
      Result result,
      Dependents dependents,
      boolean startAt,
      boolean clearsLease,
      boolean backoff,
      boolean stopsRun) {

    public boolean changes() {
      return from != to;
    }

    public Actor actor() {
      return cause.actor();
    }

    /** A pending job is to be claimed: the local dispatcher should look at once. */
    public boolean wakesDispatcher() {
      return changes() && to == PENDING;
    }

    /** start_at goes back to 0: the job waits again and no run of it is in progress. */
    public boolean resetsStart() {
      return changes() && (to == PENDING || to == BLOCKED);
    }

    /**
     * Going to PENDING, run_after stays as it is: a job whose dependencies are met still waits for
     * the time it was created to start at.
     */
    public boolean keepsRunAfter() {
      return cause == Cause.DEPENDENCIES_MET;
    }
  }

  /** Builds a transition: everything unchanged unless said otherwise. */
  private static final class Change {
    private final JobStatus from;
    private final JobStatus to;
    private final Cause cause;
    private Attempts attempts = Attempts.KEEP;
    private Progress progress = Progress.KEEP;
    private Error error = Error.KEEP;
    private Result result = Result.KEEP;
    private Dependents dependents = Dependents.NONE;
    private boolean startAt;
    private boolean clearsLease;
    private boolean backoff;
    private boolean stopsRun;

    Change(JobStatus from, JobStatus to, Cause cause) {
      this.from = from;
      this.to = to;
      this.cause = cause;
    }

    Change attempts(Attempts a) {
      attempts = a;
      return this;
    }

    Change progress(Progress p) {
      progress = p;
      return this;
    }

    Change error(Error e) {
      error = e;
      return this;
    }

    Change result(Result r) {
      result = r;
      return this;
    }

    Change dependents(Dependents d) {
      dependents = d;
      return this;
    }

    Change startAt() {
      startAt = true;
      return this;
    }

    /** The lease ends with this change, unless a caller made it (see {@link Transition}). */
    Change clearsLease() {
      clearsLease = cause.actor() != Actor.CALLER;
      return this;
    }

    Change backoff() {
      backoff = true;
      return this;
    }

    Change stopsRun(boolean stops) {
      stopsRun = stops;
      return this;
    }

    Transition done() {
      return new Transition(
          from,
          to,
          cause,
          attempts,
          progress,
          error,
          result,
          dependents,
          startAt,
          clearsLease,
          backoff,
          stopsRun);
    }
  }

  /** Statuses a cancel may come from without force. */
  private static final Set<JobStatus> WAITING = EnumSet.of(PENDING, BLOCKED);

  private static final Set<JobStatus> RUNNING_STATES = EnumSet.of(RUNNING, CANCEL_REQUESTED);

  /** What a new job starts as: blocked while it waits for other jobs, abandoned if one failed. */
  public static JobStatus initial(boolean waitsForOthers, boolean aDependencyFailed) {
    if (aDependencyFailed) {
      return ABANDONED;
    }
    return waitsForOthers ? BLOCKED : PENDING;
  }

  /** Whether a job in this status may be deleted (its run is over). */
  public static boolean deletable(JobStatus status) {
    return status.isFinished();
  }

  /**
   * Decides a change.
   *
   * @param attempt the job's attempt counter now (runs started so far)
   * @param maxAttempts the most runs the job may take
   * @throws IllegalTransitionException if the change is not allowed from {@code from}
   */
  public static Transition decide(JobStatus from, Cause cause, int attempt, int maxAttempts) {
    return decide(from, cause, attempt, maxAttempts, Dependencies.MET);
  }

  /**
   * Decides a change that may depend on where the job's own dependencies stand (a retry of a job
   * that has some: it waits for them again, or is abandoned again if one of them failed).
   *
   * @param dependencies where the job's dependencies stand now (MET for a job without any)
   * @throws IllegalTransitionException if the change is not allowed from {@code from}
   */
  public static Transition decide(
      JobStatus from, Cause cause, int attempt, int maxAttempts, Dependencies dependencies) {
    return switch (cause) {
      case CANCEL -> cancel(from, cause, false);
      case CANCEL_FORCED -> cancel(from, cause, true);
      case CONFIRM_CANCEL ->
          from == CANCEL_REQUESTED
              ? canceled(from, cause)
              : refuse(
                  from,
                  "Cannot change the status from " + name(from) + " to canceled without force.");
      case FORCE_CANCELED -> from == CANCELED ? same(from, cause) : canceled(from, cause);
      case REQUEUE ->
          from == RUNNING
              ? toPending(from, cause, Attempts.FRESH_BUDGET)
              : refuse(
                  from,
                  "Cannot change the status from " + name(from) + " to pending without force.");
      case FORCE_PENDING ->
          from == PENDING ? same(from, cause) : toPending(from, cause, Attempts.FRESH_BUDGET);
      case RETRY ->
          from == FAILED || from == CANCELED || from == ABANDONED
              ? retry(from, cause, dependencies)
              : refuse(
                  from,
                  "Only a failed, canceled or abandoned job can be retried; this one is "
                      + from.name().toLowerCase()
                      + ".");
      case START ->
          from == PENDING
              ? new Change(from, RUNNING, cause)
                  .attempts(Attempts.COUNT)
                  .progress(Progress.ZERO)
                  .startAt()
                  .done()
              : refuse(from, "Only a pending job can start; this one is " + name(from) + ".");
      case SUCCEED -> ended(from, cause, COMPLETED);
      case WARN -> ended(from, cause, WARNING);
      case SKIP -> ended(from, cause, SKIPPED);
      case FAIL -> {
        if (from == CANCEL_REQUESTED) {
          yield canceled(from, cause);
        }
        if (from != RUNNING) {
          yield superseded(from);
        }
        yield attempt < maxAttempts ? retryLater(from, cause) : failed(from, cause);
      }
      case STOP_CANCELED -> from == CANCEL_REQUESTED ? canceled(from, cause) : superseded(from);
      case HAND_BACK ->
          from == RUNNING
              ? toPending(from, cause, Attempts.GIVE_BACK)
              : from == CANCEL_REQUESTED ? canceled(from, cause) : superseded(from);
      case LEASE_EXPIRED -> {
        if (from == CANCEL_REQUESTED) {
          yield canceled(from, cause);
        }
        if (from != RUNNING) {
          yield refuse(from, "Only a running job has a lease to expire.");
        }
        // An instance's death is not the job's failure: it may run once beyond its attempts. A
        // job that takes its instance down again fails.
        yield attempt <= maxAttempts ? toPending(from, cause, Attempts.KEEP) : failed(from, cause);
      }
      case DEPENDENCIES_MET ->
          from == BLOCKED
              ? new Change(from, PENDING, cause).done()
              : refuse(from, "Only a blocked job waits for its dependencies.");
      case DEPENDENCY_FAILED ->
          from == BLOCKED
              ? new Change(from, ABANDONED, cause)
                  .error(Error.SET)
                  .dependents(Dependents.ABANDON)
                  .clearsLease()
                  .done()
              : refuse(from, "Only a blocked job waits for its dependencies.");
    };
  }

  /**
   * The cause of a Mattermost {@code PATCH .../status} to {@code target}.
   *
   * @throws IllegalTransitionException for a target no caller may ask for
   */
  public static Cause causeOfPatch(JobStatus target, boolean force) {
    if (force) {
      return switch (target) {
        case PENDING -> Cause.FORCE_PENDING;
        case CANCEL_REQUESTED -> Cause.CANCEL_FORCED;
        case CANCELED -> Cause.FORCE_CANCELED;
        default ->
            throw new IllegalTransitionException(
                null, "A forced status must be pending, cancel_requested or canceled.");
      };
    }
    return switch (target) {
      case PENDING -> Cause.REQUEUE;
      case CANCEL_REQUESTED -> Cause.CANCEL;
      case CANCELED -> Cause.CONFIRM_CANCEL;
      default ->
          throw new IllegalTransitionException(
              null, "Cannot change the status to " + name(target) + " without force.");
    };
  }

  /**
   * Whether some change takes a job from {@code from} to {@code to} when {@code actor} makes it:
   * the machine's whole relation, for documentation and tests.
   */
  public static boolean allows(JobStatus from, JobStatus to, Actor actor) {
    for (Cause cause : Cause.values()) {
      if (cause.actor() != actor) {
        continue;
      }
      // the attempt counts matter to FAIL and LEASE_EXPIRED only, the dependencies to RETRY
      for (int[] attempts : new int[][] {{1, 1}, {1, 3}, {2, 1}}) {
        for (Dependencies dependencies : Dependencies.values()) {
          try {
            Transition t = decide(from, cause, attempts[0], attempts[1], dependencies);
            if (t.changes() && t.to() == to) {
              return true;
            }
          } catch (IllegalTransitionException refused) {
            // not this cause
          }
        }
      }
    }
    return false;
  }

  private static Transition cancel(JobStatus from, Cause cause, boolean force) {
    if (from == RUNNING) {
      return new Change(from, CANCEL_REQUESTED, cause).stopsRun(true).done();
    }
    if (from == CANCEL_REQUESTED) {
      return same(from, cause); // the request stands
    }
    if (WAITING.contains(from) || (force && from != CANCELED)) {
      return canceled(from, cause);
    }
    if (force) {
      return same(from, cause);
    }
    return refuse(
        from, "The job has already finished (" + name(from) + ") and cannot be canceled.");
  }

  /** Ends as CANCELED: a running job's run is stopped, a waiting job simply ends. */
  private static Transition canceled(JobStatus from, Cause cause) {
    boolean hadRun = RUNNING_STATES.contains(from);
    return new Change(from, CANCELED, cause)
        .progress(hadRun ? Progress.REPORTED : Progress.KEEP)
        .result(hadRun ? Result.DISCARD : Result.KEEP)
        .dependents(Dependents.ABANDON)
        .clearsLease()
        .stopsRun(cause.actor() == Actor.CALLER && (hadRun || from == PENDING))
        .done();
  }

  /** A retry re-evaluates the job's dependencies: it runs, waits for them, or cannot run. */
  private static Transition retry(JobStatus from, Cause cause, Dependencies dependencies) {
    return switch (dependencies) {
      case MET -> toPending(from, cause, Attempts.FRESH_BUDGET);
      case WAITING ->
          new Change(from, BLOCKED, cause)
              .attempts(Attempts.FRESH_BUDGET)
              .progress(Progress.ZERO)
              .result(Result.DISCARD)
              .clearsLease()
              .done();
      case FAILED ->
          from == ABANDONED
              ? refuse(
                  from,
                  "A job this one depends on ended failed, canceled or abandoned; retry that"
                      + " one first.")
              // its dependents were abandoned when it ended, or were created abandoned since
              : new Change(from, ABANDONED, cause)
                  .attempts(Attempts.FRESH_BUDGET)
                  .error(Error.SET)
                  .result(Result.DISCARD)
                  .clearsLease()
                  .done();
    };
  }

  private static Transition ended(JobStatus from, Cause cause, JobStatus to) {
    if (from == CANCEL_REQUESTED) {
      return canceled(from, cause); // a cancel is never overwritten by what the run returned
    }
    if (from != RUNNING) {
      return superseded(from);
    }
    return new Change(from, to, cause)
        .progress(Progress.FULL)
        .error(Error.CLEAR)
        .dependents(Dependents.UNBLOCK)
        .clearsLease()
        .done();
  }

  private static Transition failed(JobStatus from, Cause cause) {
    return new Change(from, FAILED, cause)
        .progress(Progress.FAILED)
        .error(Error.SET)
        .result(Result.DISCARD)
        .dependents(Dependents.ABANDON)
        .clearsLease()
        .done();
  }

  private static Transition retryLater(JobStatus from, Cause cause) {
    return new Change(from, PENDING, cause)
        .progress(Progress.ZERO)
        .error(Error.SET)
        .result(Result.DISCARD)
        .clearsLease()
        .backoff()
        .done();
  }

  private static Transition toPending(JobStatus from, Cause cause, Attempts attempts) {
    return new Change(from, PENDING, cause)
        .attempts(attempts)
        .progress(Progress.ZERO)
        .result(Result.DISCARD)
        .clearsLease()
        .stopsRun(cause.actor() == Actor.CALLER && RUNNING_STATES.contains(from))
        .done();
  }

  private static Transition same(JobStatus from, Cause cause) {
    return new Change(from, from, cause).done();
  }

  /** The run that reports is no longer the job's run (requeued, canceled, taken over). */
  private static Transition superseded(JobStatus from) {
    throw new IllegalTransitionException(
        from, "The run is no longer the job's current run (the job is " + name(from) + ").");
  }

  private static Transition refuse(JobStatus from, String message) {
    throw new IllegalTransitionException(from, message);
  }

  private static String name(JobStatus status) {
    return status.mattermost();
  }
}
