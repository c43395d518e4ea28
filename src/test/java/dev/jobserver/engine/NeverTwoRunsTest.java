package dev.jobserver.engine;

import static dev.jobserver.engine.EngineFixture.ACTOR;
import static dev.jobserver.engine.EngineFixture.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.store.ClaimedJob;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Never two runs of a job at once: a run stopped from outside (timeout, requeue, cancel, shutdown)
 * may go on in a handler that does not see the interrupt, so the job stays leased by its instance
 * until the run's thread has returned, and no other instance can claim it before.
 */
class NeverTwoRunsTest {

  private static final String OTHER = "node-2";

  private final EngineFixture f = new EngineFixture();
  private final JobHandler handler = EngineFixture.handler("t", 0, Duration.ofSeconds(2));
  private final Runner runner = f.runner(JobTypeRegistry.of(handler));
  private final WorkerPool pool =
      new WorkerPool(2, new EngineFixture.Parked(), runner::execute, f.clock);
  private final Heartbeat heartbeat =
      new Heartbeat(f.settings, f.clock, () -> f.store, f.runs, runner, pool, OWNER, ACTOR);

  /** What another instance's claim takes now (the clock of this test, any type). */
  private List<String> otherInstanceClaims() throws Exception {
    long now = f.clock.millis();
    List<String> ids = new ArrayList<>();
    for (ClaimedJob j : f.store.reserve(OTHER, 10, now, now + 3000, Map.of(), List.of())) {
      ids.add(j.id());
    }
    return ids;
  }

  @Test
  void aRunStoppedForItsTimeoutKeepsTheJobLeasedHereUntilItsThreadHasReturned() throws Exception {
    f.insert("x", "t", 1000);
    f.update("UPDATE job SET max_attempts = 3 WHERE id = 'x'");
    Run run = f.startedRun("x", handler);
    CountDownLatch returns = new CountDownLatch(1);
    Thread thread = EngineFixture.stubborn(run, returns);
    runner.stop(run, Run.StopReason.TIMEOUT);
    assertEquals(1, f.outcomes.size());
    assertTrue(f.outcomes.get(0).keepsLease());
    f.store.finish(OWNER, f.outcomes, ACTOR);
    assertEquals("PENDING", f.row("x").get("status"), "the timed-out attempt is retried");
    assertEquals(OWNER, f.row("x").get("owner"), "but the job stays this instance's");
    f.update("UPDATE job SET run_after = 0"); // its backoff is over
    f.clock.advance(1000);
    heartbeat.beat(); // the heartbeat keeps the lease of the stopped run
    f.clock.advance(2500); // past the lease the run was claimed with
    assertEquals(List.of(), otherInstanceClaims(), "the old run is alive: nobody may start it");

    returns.countDown();
    thread.join();
    runner.release(run); // what execute does when the handler returns
    assertEquals(List.of("x"), f.letGo, "the job is let go after the outcome");
    f.store.release(OWNER, f.letGo);
    assertEquals(List.of("x"), otherInstanceClaims(), "now it may run again, anywhere");
  }

  @Test
  void aJobRequeuedByACallerWhileItRunsIsNotClaimedElsewhereBeforeTheRunReturns() throws Exception {
    f.insert("r", "t", 1000);
    Run run = f.startedRun("r", handler);
    CountDownLatch returns = new CountDownLatch(1);
    Thread thread = EngineFixture.stubborn(run, returns);
    f.store.change("r", Cause.REQUEUE, "alice", "requeued", type -> 1);
    assertEquals("PENDING", f.row("r").get("status"));
    assertEquals(OWNER, f.row("r").get("owner"), "a caller's change leaves the lease");
    heartbeat.beat();
    assertEquals(Run.StopReason.SUPERSEDED, run.stopReason);
    f.clock.advance(5000); // well past the lease: the heartbeat keeps it while the run lives
    heartbeat.beat();
    assertEquals(List.of(), otherInstanceClaims());

    returns.countDown();
    thread.join();
    runner.release(run);
    f.store.release(OWNER, f.letGo);
    assertEquals(List.of("r"), otherInstanceClaims());
  }

  @Test
  void theHeartbeatExtendsOnlyTheJobsThisInstanceHolds() throws Exception {
    f.insert("held", "t", 1000);
    f.insert("lost", "t", 1001);
    f.startedRun("held", handler);
    // a reservation no run holds: its claim's commit was lost, or its release failed
    f.reserve("lost");
    f.clock.advance(1000);
    heartbeat.beat();
    assertEquals(f.clock.millis() + 3000, f.row("held").get("lease"));
    f.clock.advance(2500);
    assertEquals(List.of("lost"), otherInstanceClaims(), "a reservation nobody holds expires");
  }

  @Test
  void aShutdownGraceLongerThanTheLeaseKeepsTheLeasesAndAStubbornRunKeepsItsJob() throws Exception {
    f.insert("s", "t", 1000);
    Run run = f.startedRun("s", handler);
    CountDownLatch returns = new CountDownLatch(1);
    Thread thread = EngineFixture.stubborn(run, returns);
    OutcomeRecorder recorder = new OutcomeRecorder(() -> f.store, OWNER, ACTOR, id -> {});
    // grace 4 s with a lease of 3 s; the test's clock moves 50 ms each time the shutdown reads it
    EngineSettings settings = new EngineSettings(2, 10, 50, 3000, 50, 500, 4000);
    EngineShutdown shutdown =
        new EngineShutdown(
            settings,
            new EngineClock() {
              @Override
              public long millis() {
                return f.clock.millis();
              }

              @Override
              public long nanos() {
                f.clock.advance(50); // time goes on while the shutdown waits
                return f.clock.nanos();
              }
            },
            f.runs,
            pool,
            runner,
            recorder,
            List.of(),
            () -> {},
            () -> {},
            () -> f.store,
            new ShutdownLog(),
            OWNER,
            ACTOR);
    Thread stopping = new Thread(shutdown::run);
    stopping.start();
    // the grace passes (more than a lease); then the run is handed back with its lease kept
    long until = System.nanoTime() + 20_000_000_000L;
    while (!"PENDING".equals(f.row("s").get("status")) && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertEquals("PENDING", f.row("s").get("status"), "handed back after the grace");
    assertEquals(OWNER, f.row("s").get("owner"), "its thread is alive: the job stays here");
    assertEquals(List.of(), otherInstanceClaims());
    returns.countDown();
    stopping.join(20_000);
    assertEquals(null, f.row("s").get("owner"), "given up once the thread has returned");
    assertEquals(List.of("s"), otherInstanceClaims());
  }
}
