package dev.jobserver.engine;

import static dev.jobserver.engine.EngineFixture.ACTOR;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LeaseRecoveryTest {

  private final EngineFixture f = new EngineFixture();
  private final AtomicInteger woken = new AtomicInteger();
  private final LeaseRecovery recovery =
      new LeaseRecovery(f.settings, f.clock, () -> f.store, woken::incrementAndGet, ACTOR);

  @Test
  void aRunningJobWhoseLeaseExpiredOnTheClockGoesBackToTheQueue() throws Exception {
    JobHandler h = EngineFixture.handler("t", 0, Duration.ofMinutes(1));
    f.insert("dead", "t", 1000);
    f.insert("alive", "t", 1001);
    f.startedRun("dead", h);
    f.startedRun("alive", h);
    f.update("UPDATE job SET lease_owner = 'node-9' WHERE id = 'dead'");
    f.clock.advance(2000);
    f.update(
        "UPDATE job SET lease_expires_at = " + (f.clock.millis() + 5000) + " WHERE id = 'alive'");
    assertEquals(0, recovery.sweep(), "no lease has expired yet");
    f.clock.advance(1500);
    assertEquals(1, recovery.sweep());
    assertEquals("PENDING", f.row("dead").get("status"));
    assertEquals("RUNNING", f.row("alive").get("status"));
    assertEquals(1, woken.get(), "the dispatcher is told");
    assertEquals(List.of("PENDING>RUNNING", "RUNNING>PENDING"), f.events("dead"));
  }
}
