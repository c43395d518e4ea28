package dev.jobserver.engine;

import static dev.jobserver.engine.EngineFixture.ACTOR;
import static dev.jobserver.engine.EngineFixture.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.jobserver.job.JobLifecycle.Cause;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeartbeatTest {

  private final EngineFixture f = new EngineFixture();
  private final JobHandler handler = EngineFixture.handler("t", 0, Duration.ofSeconds(2));
  private final JobTypeRegistry types = JobTypeRegistry.of(handler);
  private final Runner runner = f.runner(types);
  private final EngineFixture.Parked parked = new EngineFixture.Parked();
  private final WorkerPool pool = new WorkerPool(2, parked, runner::execute, f.clock);
  private final Heartbeat heartbeat =
      new Heartbeat(f.settings, f.clock, () -> f.store, f.runs, runner, pool, OWNER, ACTOR);

  @Test
  void aRunWhoseJobWasAskedToCancelStopsAndEndsCanceled() throws Exception {
    f.insert("c", "t", 1000);
    Run run = f.startedRun("c", handler);
    f.update("UPDATE job SET status = 'CANCEL_REQUESTED' WHERE id = 'c'");
    heartbeat.beat();
    assertEquals(Run.StopReason.CANCELED, run.stopReason);
    assertEquals(1, f.outcomes.size());
    assertEquals(Cause.STOP_CANCELED, f.outcomes.get(0).cause());
  }

  @Test
  void aRunWhoseJobWasRequeuedOrTakenOverIsSupersededAndRecordsNothing() throws Exception {
    f.insert("r", "t", 1000);
    f.insert("o", "t", 1001);
    Run requeued = f.startedRun("r", handler);
    Run taken = f.startedRun("o", handler);
    f.update("UPDATE job SET status = 'PENDING', lease_owner = NULL WHERE id = 'r'");
    f.update("UPDATE job SET lease_owner = 'node-2' WHERE id = 'o'");
    heartbeat.beat();
    assertEquals(Run.StopReason.SUPERSEDED, requeued.stopReason);
    assertEquals(Run.StopReason.SUPERSEDED, taken.stopReason);
    assertEquals(List.of(), f.outcomes);
  }

  @Test
  void aReservedRunWhoseStartIsNotWrittenYetIsStillItsJobs() throws Exception {
    f.insert("w", "t", 1000);
    Run run = new Run(f.reserve("w"), handler, null, f.clock, OWNER, r -> {});
    f.runs.add(run);
    run.started(); // the worker started it; the recorder has not written the start yet
    heartbeat.beat();
    assertNull(run.stopReason);
  }

  @Test
  void aStartWrittenWhileTheStatesAreReadDoesNotMakeTheRunLookSuperseded() throws Exception {
    f.insert("race", "t", 1000);
    Run run = new Run(f.reserve("race"), handler, null, f.clock, OWNER, r -> {});
    f.runs.add(run);
    run.started();
    // the recorder writes the start just after the heartbeat read the job (still PENDING)
    dev.jobserver.store.JobStore racing =
        new dev.jobserver.store.JobStore() {
          @Override
          public java.util.Map<String, dev.jobserver.store.RunState> states(
              java.util.Collection<String> ids) throws java.sql.SQLException {
            java.util.Map<String, dev.jobserver.store.RunState> read = f.store.states(ids);
            run.startWritten = true;
            return read;
          }

          @Override
          public void progress(
              String owner, java.util.Collection<dev.jobserver.store.ProgressUpdate> updates) {}

          @Override
          public int extendLeases(String owner, java.util.Collection<String> ids, long leaseUntil) {
            return 0;
          }
        };
    new Heartbeat(f.settings, f.clock, () -> racing, f.runs, runner, pool, OWNER, ACTOR).beat();
    assertNull(run.stopReason, "the run was taken for superseded");
  }

  @Test
  void aRunPastItsTypesTimeoutFailsByTheMonotonicClock() throws Exception {
    f.insert("slow", "t", 1000);
    Run run = f.startedRun("slow", handler);
    f.clock.advance(1500);
    heartbeat.beat();
    assertNull(run.stopReason);
    f.clock.setWall(0); // the wall clock jumps back: timeouts do not care
    f.clock.advance(600);
    heartbeat.beat();
    assertEquals(Run.StopReason.TIMEOUT, run.stopReason);
    assertEquals(Cause.FAIL, f.outcomes.get(0).cause());
    assertEquals("The job timed out after 2000 ms.", f.outcomes.get(0).error());
  }

  @Test
  void runsThatWaitedTooLongForAWorkerAreGivenUpWithoutAnEvent() throws Exception {
    f.insert("a", "t", 1000);
    Run run = new Run(f.reserve("a"), handler, null, f.clock, OWNER, r -> {});
    f.runs.add(run);
    pool.offer(List.of(run));
    heartbeat.beat();
    assertEquals(OWNER, f.row("a").get("owner"));
    f.clock.advance(1100);
    heartbeat.beat();
    assertNull(f.row("a").get("owner"));
    assertEquals("PENDING", f.row("a").get("status"));
    assertEquals(List.of(), f.events("a"));
    assertEquals(0, f.runs.inHand());
  }

  @Test
  void leasesAreExtendedEveryThirdOfALeaseByTheMonotonicClock() throws Exception {
    f.insert("l", "t", 1000);
    f.startedRun("l", handler);
    long wall = f.clock.millis();
    heartbeat.beat();
    assertEquals(wall + 3000, f.row("l").get("lease"));
    f.clock.advance(500);
    heartbeat.beat();
    assertEquals(wall + 3000, f.row("l").get("lease"), "not due yet");
    f.clock.advance(500);
    f.clock.setWall(wall - 3_600_000); // set back an hour: extensions go on
    heartbeat.beat();
    assertEquals(wall - 3_600_000 + 3000, f.row("l").get("lease"));
  }

  @Test
  void theInstanceSaysItIsAliveEveryThirdOfALeaseEvenWithoutRuns() throws Exception {
    List<Long> beats = new java.util.ArrayList<>();
    Heartbeat alive =
        new Heartbeat(
            f.settings, f.clock, () -> f.store, f.runs, runner, pool, OWNER, ACTOR, beats::add);
    long wall = f.clock.millis();
    alive.beat();
    f.clock.advance(999);
    alive.beat();
    assertEquals(List.of(wall), beats, "not due yet");
    f.clock.advance(1);
    alive.beat();
    assertEquals(List.of(wall, wall + 1000), beats);
  }
}
