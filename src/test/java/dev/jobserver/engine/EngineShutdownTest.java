package dev.jobserver.engine;

import static dev.jobserver.engine.EngineFixture.ACTOR;
import static dev.jobserver.engine.EngineFixture.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EngineShutdownTest {

  private final EngineFixture f = new EngineFixture();
  private final JobHandler handler = EngineFixture.handler("t", 0, Duration.ofMinutes(1));
  private final Runner runner = f.runner(JobTypeRegistry.of(handler));
  private final WorkerPool pool =
      new WorkerPool(2, new EngineFixture.Parked(), runner::execute, f.clock);
  private final OutcomeRecorder recorder =
      new OutcomeRecorder(() -> f.store, OWNER, ACTOR, id -> {});

  @Test
  void startedRunsAreHandedBackAndReservationsGivenUpOnceTheGraceIsOver() throws Exception {
    f.insert("running", "t", 1000);
    f.insert("waiting", "t", 1001);
    Run running = f.startedRun("running", handler);
    // its handler, on a worker thread, returns when interrupted
    Thread worker =
        new Thread(
            () -> {
              try {
                Thread.sleep(60_000);
              } catch (InterruptedException e) {
                running.thread = null;
              }
            });
    running.thread = worker;
    worker.start();
    Run waiting = new Run(f.reserve("waiting"), handler, null, f.clock, OWNER, r -> {});
    f.runs.add(waiting);
    pool.offer(List.of(waiting));
    EngineLoop loop = new EngineLoop("test", () -> Thread.sleep(10), Thread::new);
    loop.start();
    boolean[] partsStopped = {false};
    EngineShutdown shutdown =
        new EngineShutdown(
            new EngineSettings(2, 10, 50, 3000, 50, 500, 0),
            f.clock,
            f.runs,
            pool,
            runner,
            recorder,
            List.of(loop),
            () -> partsStopped[0] = true,
            () -> {},
            () -> f.store,
            new ShutdownLog(),
            OWNER,
            ACTOR);
    shutdown.run();
    assertTrue(partsStopped[0]);
    assertEquals(EngineLoop.State.STOPPED, loop.state());
    assertEquals("PENDING", f.row("running").get("status"));
    assertEquals(0, f.row("running").get("attempt"), "a hand-back costs no attempt");
    assertEquals(List.of("PENDING>RUNNING", "RUNNING>PENDING"), f.events("running"));
    assertNull(f.row("waiting").get("owner"));
    assertEquals(List.of(), f.events("waiting"), "a reservation is given up without an event");
    assertEquals(Run.StopReason.SHUTDOWN, running.stopReason);
    assertNull(f.row("running").get("owner"), "its thread returned: nothing keeps it here");
  }
}
