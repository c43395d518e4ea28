package dev.jobserver.engine;

import static dev.jobserver.engine.EngineFixture.ACTOR;
import static dev.jobserver.engine.EngineFixture.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What this instance keeps of a job's runs (the runs it holds, and the outcomes the runner hands to
 * the recorder) does not grow with the job's history: a job requeued a thousand times while it runs
 * leaves no run and no outcome behind.
 */
class RequeuedRunsTest {

  private final EngineFixture f = new EngineFixture();
  private final JobHandler handler = EngineFixture.handler("t", 0, Duration.ofSeconds(2));
  private final Runner runner = f.runner(JobTypeRegistry.of(handler));
  private final WorkerPool pool =
      new WorkerPool(2, new EngineFixture.Parked(), runner::execute, f.clock);
  private final Heartbeat heartbeat =
      new Heartbeat(f.settings, f.clock, () -> f.store, f.runs, runner, pool, OWNER, ACTOR);

  @Test
  void aJobRequeuedAThousandTimesWhileItRunsLeavesNoRunAndNoOutcomeBehind() throws Exception {
    f.insert("r", "t", 1000);
    f.update("UPDATE job SET max_attempts = 100000 WHERE id = 'r'");
    for (int i = 0; i < 1000; i++) {
      Run run = f.startedRun("r", handler);
      assertEquals(1, f.runs.inHand(), "round " + i);
      // a client requeues it (PATCH .../status pending): the heartbeat finds it superseded
      f.update(
          "UPDATE job SET status = 'PENDING', lease_owner = NULL, lease_expires_at = 0 WHERE id = 'r'");
      heartbeat.beat();
      assertEquals(Run.StopReason.SUPERSEDED, run.stopReason, "round " + i);
      runner.execute(run); // its handler returns: the run is let go, nothing recorded
      assertTrue(f.runs.isEmpty(), "round " + i);
      f.clock.advance(10);
    }
    assertEquals(List.of(), f.outcomes);
    assertEquals(0, f.runs.inHand());
    assertEquals(1000, ((Number) f.row("r").get("attempt")).intValue());
  }
}
