package dev.jobserver.engine;

import static dev.jobserver.engine.EngineFixture.ACTOR;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Leases on the database's clock: an instance whose own clock is wrong still agrees. */
class SharedClockTest {

  private static final long HOUR = 3_600_000L;

  private final EngineFixture f = new EngineFixture();

  /** This machine's clock set an hour ahead of the test's (the database's) clock. */
  private final SettableClock skewed = new SettableClock();

  {
    skewed.setWall(f.clock.millis() + HOUR);
  }

  @Test
  void theSharedClockReadsTheDatabasesTimeWhateverThisMachinesClockSays() {
    AtomicLong database = new AtomicLong(f.clock.millis());
    SharedClock clock = new SharedClock(skewed, database::get);
    clock.sync();
    assertEquals(f.clock.millis(), clock.millis());
    assertEquals(-HOUR, clock.offset());
    skewed.advance(500);
    assertEquals(f.clock.millis() + 500, clock.millis(), "it moves with this machine's clock");
    clock =
        new SharedClock(
            skewed,
            () -> {
              throw new IllegalStateException("down");
            });
    clock.sync();
    assertEquals(skewed.millis(), clock.millis(), "unreadable: no correction is made up");
  }

  @Test
  void anInstanceWhoseClockIsAnHourAheadDoesNotTakeOverAnotherInstancesLiveJob() throws Exception {
    JobHandler h = EngineFixture.handler("t", 0, Duration.ofMinutes(1));
    f.insert("live", "t", 1000);
    f.startedRun("live", h); // leased by node-1 on the database's clock, for 3 s
    LeaseRecovery onItsOwnClock =
        new LeaseRecovery(f.settings, skewed, () -> f.store, () -> {}, ACTOR);
    SharedClock shared = new SharedClock(skewed, f.clock::millis);
    shared.sync();
    LeaseRecovery onTheDatabasesClock =
        new LeaseRecovery(f.settings, shared, () -> f.store, () -> {}, ACTOR);
    assertEquals(0, onTheDatabasesClock.sweep());
    assertEquals("RUNNING", f.row("live").get("status"));
    // what an instance comparing its own clock would do: take the live job for dead
    assertEquals(1, onItsOwnClock.sweep());
    assertEquals("PENDING", f.row("live").get("status"));
  }
}
