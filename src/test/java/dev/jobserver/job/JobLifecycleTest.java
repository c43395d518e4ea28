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
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.job.JobLifecycle.Actor;
import dev.jobserver.job.JobLifecycle.Attempts;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobLifecycle.Dependencies;
import dev.jobserver.job.JobLifecycle.Dependents;
import dev.jobserver.job.JobLifecycle.Error;
import dev.jobserver.job.JobLifecycle.Progress;
import dev.jobserver.job.JobLifecycle.Result;
import dev.jobserver.job.JobLifecycle.Transition;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JobLifecycleTest {

  private static final Set<JobStatus> ALL = EnumSet.allOf(JobStatus.class);

  /** The whole relation, written out: every legal (from, to) per actor; all else is refused. */
  private static boolean expected(JobStatus from, JobStatus to, Actor actor) {
    return switch (actor) {
      case CALLER ->
          (to == PENDING && from != PENDING) // requeue, forced pending, retry
              || (to == CANCELED && from != CANCELED) // cancel, forced cancel
              || (to == CANCEL_REQUESTED && from == RUNNING)
              // a retry waits for the job's dependencies again, or finds one of them failed
              || (to == BLOCKED && Set.of(FAILED, CANCELED, ABANDONED).contains(from))
              || (to == ABANDONED && (from == FAILED || from == CANCELED));
      case ENGINE ->
          (from == PENDING && to == RUNNING)
              || (from == RUNNING
                  && Set.of(COMPLETED, WARNING, SKIPPED, FAILED, PENDING).contains(to))
              || (from == CANCEL_REQUESTED && to == CANCELED);
      case RECOVERY ->
          (from == RUNNING && (to == PENDING || to == FAILED))
              || (from == CANCEL_REQUESTED && to == CANCELED);
      case DEPENDENCY -> from == BLOCKED && (to == PENDING || to == ABANDONED);
      case SCHEDULE -> false; // a schedule only creates jobs
    };
  }

  @Test
  void everyFromToActorTripleIsAllowedExactlyAsTheTableSays() {
    List<String> wrong = new ArrayList<>();
    int checked = 0;
    for (JobStatus from : ALL) {
      for (JobStatus to : ALL) {
        for (Actor actor : Actor.values()) {
          checked++;
          if (JobLifecycle.allows(from, to, actor) != expected(from, to, actor)) {
            wrong.add(from + ">" + to + " by " + actor);
          }
        }
      }
    }
    assertEquals(10 * 10 * 5, checked);
    assertEquals(List.of(), wrong);
  }

  @Test
  void everyCauseBelongsToOneActorAndIsRefusedOrDecidedFromEveryStatus() {
    for (Cause cause : Cause.values()) {
      for (JobStatus from : ALL) {
        for (Dependencies dependencies : Dependencies.values()) {
          try {
            Transition t = JobLifecycle.decide(from, cause, 1, 2, dependencies);
            assertEquals(from, t.from());
            assertEquals(cause.actor(), t.actor());
            if (t.changes()) {
              assertTrue(JobLifecycle.allows(from, t.to(), cause.actor()), cause + " " + from);
            }
          } catch (IllegalTransitionException refused) {
            assertEquals(from, refused.from(), cause + " from " + from);
            assertFalse(refused.getMessage().isBlank());
          }
        }
      }
    }
  }

  @Test
  void aNewJobIsPendingBlockedOrAbandoned() {
    assertEquals(PENDING, JobLifecycle.initial(false, false));
    assertEquals(BLOCKED, JobLifecycle.initial(true, false));
    assertEquals(ABANDONED, JobLifecycle.initial(true, true));
  }

  @Test
  void cancel() {
    assertEquals(CANCELED, decide(PENDING, Cause.CANCEL).to());
    assertEquals(CANCELED, decide(BLOCKED, Cause.CANCEL).to());
    Transition running = decide(RUNNING, Cause.CANCEL);
    assertEquals(CANCEL_REQUESTED, running.to());
    assertTrue(running.stopsRun(), "the instance running it must stop the run");
    assertFalse(running.clearsLease(), "the run still holds the job until it stops");
    assertFalse(decide(CANCEL_REQUESTED, Cause.CANCEL).changes(), "the request stands");
    for (JobStatus finished : JobStatus.FINISHED) {
      IllegalTransitionException e =
          assertThrows(IllegalTransitionException.class, () -> decide(finished, Cause.CANCEL));
      assertTrue(e.getMessage().contains("already finished"), e.getMessage());
    }
    Transition blocked = decide(BLOCKED, Cause.CANCEL);
    assertEquals(Dependents.ABANDON, blocked.dependents(), "its dependents are abandoned");
    assertEquals(Result.KEEP, blocked.result());
  }

  @Test
  void patchWithoutForce() {
    assertEquals(PENDING, patch(RUNNING, PENDING, false));
    assertEquals(CANCEL_REQUESTED, patch(RUNNING, CANCEL_REQUESTED, false));
    assertEquals(CANCELED, patch(PENDING, CANCEL_REQUESTED, false));
    assertEquals(CANCELED, patch(CANCEL_REQUESTED, CANCELED, false));
    for (JobStatus[] refused :
        new JobStatus[][] {
          {PENDING, PENDING},
          {COMPLETED, PENDING},
          {RUNNING, CANCELED},
          {FAILED, CANCEL_REQUESTED},
          {RUNNING, COMPLETED},
          {RUNNING, RUNNING}
        }) {
      assertThrows(IllegalTransitionException.class, () -> patch(refused[0], refused[1], false));
    }
  }

  @Test
  void patchWithForce() {
    for (JobStatus from : ALL) {
      assertEquals(PENDING, patch(from, PENDING, true));
      assertEquals(CANCELED, patch(from, CANCELED, true));
      assertThrows(IllegalTransitionException.class, () -> patch(from, COMPLETED, true));
      assertThrows(IllegalTransitionException.class, () -> patch(from, RUNNING, true));
    }
    assertEquals(CANCEL_REQUESTED, patch(RUNNING, CANCEL_REQUESTED, true));
    assertEquals(CANCELED, patch(COMPLETED, CANCEL_REQUESTED, true));
    assertEquals(CANCELED, patch(PENDING, CANCEL_REQUESTED, true));
    assertEquals(CANCELED, patch(CANCELED, CANCEL_REQUESTED, true));
  }

  @Test
  void aRequeueOrRetryGivesAFreshBudgetAndStopsTheRun() {
    Transition requeue = decide(RUNNING, Cause.REQUEUE);
    assertEquals(Attempts.FRESH_BUDGET, requeue.attempts());
    assertTrue(requeue.stopsRun());
    assertFalse(
        requeue.clearsLease(),
        "a caller's change leaves the lease to its instance, which lets go once the run returns");
    assertTrue(requeue.resetsStart(), "a pending job shows no start");
    assertTrue(requeue.wakesDispatcher());
    assertEquals(Result.DISCARD, requeue.result(), "the superseded run's result goes");
    for (JobStatus from : List.of(FAILED, CANCELED, ABANDONED)) {
      Transition retry = decide(from, Cause.RETRY);
      assertEquals(PENDING, retry.to());
      assertEquals(Attempts.FRESH_BUDGET, retry.attempts());
      assertFalse(retry.stopsRun());
    }
    for (JobStatus from : List.of(PENDING, BLOCKED, RUNNING, CANCEL_REQUESTED, COMPLETED)) {
      assertThrows(IllegalTransitionException.class, () -> decide(from, Cause.RETRY));
    }
  }

  @Test
  void aRetryReEvaluatesTheJobsDependencies() {
    for (JobStatus from : List.of(FAILED, CANCELED, ABANDONED)) {
      Transition met = JobLifecycle.decide(from, Cause.RETRY, 1, 1, Dependencies.MET);
      assertEquals(PENDING, met.to());
      Transition waiting = JobLifecycle.decide(from, Cause.RETRY, 1, 1, Dependencies.WAITING);
      assertEquals(BLOCKED, waiting.to(), "it waits for its dependencies again");
      assertEquals(Attempts.FRESH_BUDGET, waiting.attempts());
      assertTrue(waiting.resetsStart(), "a blocked job shows no start");
      assertFalse(waiting.clearsLease(), "a caller's change never takes the lease");
      assertFalse(waiting.wakesDispatcher(), "nothing to claim yet");
      assertEquals(Dependents.NONE, waiting.dependents());
    }
    for (JobStatus from : List.of(FAILED, CANCELED)) {
      Transition failed = JobLifecycle.decide(from, Cause.RETRY, 1, 1, Dependencies.FAILED);
      assertEquals(ABANDONED, failed.to(), "a dependency of it failed: it cannot run");
      assertEquals(Error.SET, failed.error());
      assertFalse(failed.wakesDispatcher());
    }
    IllegalTransitionException again =
        assertThrows(
            IllegalTransitionException.class,
            () -> JobLifecycle.decide(ABANDONED, Cause.RETRY, 1, 1, Dependencies.FAILED));
    assertTrue(again.getMessage().contains("retry that one first"), again.getMessage());
    for (JobStatus from : List.of(PENDING, BLOCKED, RUNNING, COMPLETED, SKIPPED)) {
      for (Dependencies d : Dependencies.values()) {
        assertThrows(
            IllegalTransitionException.class,
            () -> JobLifecycle.decide(from, Cause.RETRY, 1, 1, d));
      }
    }
  }

  @Test
  void unblockedJobsKeepTheirStartTimeOthersGoingPendingRunNow() {
    assertTrue(decide(BLOCKED, Cause.DEPENDENCIES_MET).keepsRunAfter());
    assertFalse(decide(FAILED, Cause.RETRY).keepsRunAfter());
    assertFalse(decide(RUNNING, Cause.REQUEUE).keepsRunAfter());
  }

  @Test
  void aStartCountsAnAttemptAndTakesTheStartTime() {
    Transition start = decide(PENDING, Cause.START);
    assertEquals(RUNNING, start.to());
    assertEquals(Attempts.COUNT, start.attempts());
    assertTrue(start.startAt());
    assertEquals(Progress.ZERO, start.progress());
    for (JobStatus from : EnumSet.complementOf(EnumSet.of(PENDING))) {
      assertThrows(IllegalTransitionException.class, () -> decide(from, Cause.START));
    }
  }

  @Test
  void aRunEndsAsItsHandlerSaysUnlessACancelWasRequested() {
    assertEquals(COMPLETED, decide(RUNNING, Cause.SUCCEED).to());
    assertEquals(WARNING, decide(RUNNING, Cause.WARN).to());
    assertEquals(SKIPPED, decide(RUNNING, Cause.SKIP).to());
    for (Cause ok : List.of(Cause.SUCCEED, Cause.WARN, Cause.SKIP)) {
      Transition t = decide(RUNNING, ok);
      assertEquals(Progress.FULL, t.progress());
      assertEquals(Error.CLEAR, t.error(), "an earlier attempt's error goes");
      assertEquals(Dependents.UNBLOCK, t.dependents());
      assertEquals(Result.KEEP, t.result());
      assertTrue(t.clearsLease());
    }
    for (Cause any : List.of(Cause.SUCCEED, Cause.WARN, Cause.SKIP, Cause.FAIL)) {
      Transition t = decide(CANCEL_REQUESTED, any);
      assertEquals(CANCELED, t.to(), "a cancel is never overwritten by " + any);
      assertEquals(Result.DISCARD, t.result());
      assertEquals(Progress.REPORTED, t.progress());
      assertEquals(Dependents.ABANDON, t.dependents());
    }
    assertEquals(CANCELED, decide(CANCEL_REQUESTED, Cause.STOP_CANCELED).to());
    for (JobStatus from : EnumSet.complementOf(EnumSet.of(RUNNING, CANCEL_REQUESTED))) {
      assertThrows(
          IllegalTransitionException.class,
          () -> decide(from, Cause.SUCCEED),
          "a run that no longer owns its job (" + from + ") changes nothing");
    }
  }

  @Test
  void aFailureIsRetriedWhileAttemptsRemainThenFails() {
    Transition retry = JobLifecycle.decide(RUNNING, Cause.FAIL, 1, 3);
    assertEquals(PENDING, retry.to());
    assertTrue(retry.backoff());
    assertEquals(Error.SET, retry.error());
    assertEquals(Result.DISCARD, retry.result());
    assertEquals(Dependents.NONE, retry.dependents());
    Transition last = JobLifecycle.decide(RUNNING, Cause.FAIL, 3, 3);
    assertEquals(FAILED, last.to());
    assertEquals(Progress.FAILED, last.progress());
    assertEquals(Error.SET, last.error());
    assertEquals(Result.DISCARD, last.result(), "a failed run's partial result is discarded");
    assertEquals(Dependents.ABANDON, last.dependents());
  }

  @Test
  void aHandBackDoesNotUseAnAttempt() {
    Transition t = decide(RUNNING, Cause.HAND_BACK);
    assertEquals(PENDING, t.to());
    assertEquals(Attempts.GIVE_BACK, t.attempts());
    assertEquals(CANCELED, decide(CANCEL_REQUESTED, Cause.HAND_BACK).to());
  }

  @Test
  void aLostInstanceCostsNoAttemptOnceThenTheJobFails() {
    assertEquals(PENDING, JobLifecycle.decide(RUNNING, Cause.LEASE_EXPIRED, 1, 1).to());
    Transition failed = JobLifecycle.decide(RUNNING, Cause.LEASE_EXPIRED, 2, 1);
    assertEquals(FAILED, failed.to());
    assertEquals(Error.SET, failed.error());
    assertEquals(CANCELED, JobLifecycle.decide(CANCEL_REQUESTED, Cause.LEASE_EXPIRED, 1, 1).to());
  }

  @Test
  void dependencies() {
    assertEquals(PENDING, decide(BLOCKED, Cause.DEPENDENCIES_MET).to());
    assertTrue(decide(BLOCKED, Cause.DEPENDENCIES_MET).wakesDispatcher());
    Transition abandoned = decide(BLOCKED, Cause.DEPENDENCY_FAILED);
    assertEquals(ABANDONED, abandoned.to());
    assertEquals(Dependents.ABANDON, abandoned.dependents(), "it cascades");
    for (JobStatus from : EnumSet.complementOf(EnumSet.of(BLOCKED))) {
      assertThrows(IllegalTransitionException.class, () -> decide(from, Cause.DEPENDENCIES_MET));
    }
  }

  @Test
  void onlyFinishedJobsMayBeDeleted() {
    for (JobStatus s : ALL) {
      assertEquals(s.isFinished(), JobLifecycle.deletable(s), s.name());
    }
  }

  private static Transition decide(JobStatus from, Cause cause) {
    return JobLifecycle.decide(from, cause, 1, 2);
  }

  private static JobStatus patch(JobStatus from, JobStatus target, boolean force) {
    return JobLifecycle.decide(from, JobLifecycle.causeOfPatch(target, force), 1, 2).to();
  }
}
