package dev.jobserver.engine;

import static dev.jobserver.engine.EngineFixture.ACTOR;
import static dev.jobserver.engine.EngineFixture.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.store.ClaimedJob;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Found by {@link EngineStressTest} (seed 2 on PostgreSQL): a run stopped from outside before the
 * instance shuts down (it timed out with attempts left, or a caller requeued its job) leaves its
 * job PENDING and leased here while its thread goes on. The shutdown's hand-back took every PENDING
 * row of its runs for a reservation never started and gave its lease up, so another instance
 * started the job while the old run was still alive: two live runs at once.
 */
class ShutdownKeepsStoppedRunsTest {

  private final EngineFixture f = new EngineFixture();
  private final JobHandler handler = EngineFixture.handler("t", 0, Duration.ofSeconds(2));
  private final Runner runner = f.runner(JobTypeRegistry.of(handler));
  private final WorkerPool pool =
      new WorkerPool(2, new EngineFixture.Parked(), runner::execute, f.clock);

  private List<String> otherInstanceClaims() throws Exception {
    long now = f.clock.millis();
    List<String> ids = new ArrayList<>();
    for (ClaimedJob j : f.store.reserve("node-2", 10, now, now + 3000, Map.of(), List.of())) {
      ids.add(j.id());
    }
    return ids;
  }

  @Test
  void aRunThatTimedOutBeforeTheShutdownKeepsItsJobUntilItsThreadReturns() throws Exception {
    f.insert("x", "t", 1000);
    f.update("UPDATE job SET max_attempts = 3 WHERE id = 'x'");
    Run run = f.startedRun("x", handler);
    CountDownLatch returns = new CountDownLatch(1);
    Thread thread = EngineFixture.stubborn(run, returns);
    runner.stop(run, Run.StopReason.TIMEOUT); // attempts left: retried later, the lease kept
    f.store.finish(OWNER, f.outcomes, ACTOR);
    f.update("UPDATE job SET run_after = 0");
    assertEquals("PENDING", f.row("x").get("status"));
    assertEquals(OWNER, f.row("x").get("owner"));

    OutcomeRecorder recorder = new OutcomeRecorder(() -> f.store, OWNER, ACTOR, id -> {});
    EngineSettings settings = new EngineSettings(2, 10, 50, 3000, 50, 500, 0);
    EngineShutdown shutdown =
        new EngineShutdown(
            settings,
            f.clock,
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
    // the hand-back is written at once (no grace); the stopped run's thread is still alive
    Thread.sleep(500);
    assertTrue(stopping.isAlive(), "the shutdown waits for the stopped run's thread");
    assertEquals(OWNER, f.row("x").get("owner"), "its thread is alive: the job stays here");
    assertEquals(List.of(), otherInstanceClaims(), "no other instance may start it meanwhile");

    returns.countDown();
    stopping.join(20_000);
    assertEquals(null, f.row("x").get("owner"), "given up once the thread has returned");
    assertEquals(List.of("x"), otherInstanceClaims());
  }
}
