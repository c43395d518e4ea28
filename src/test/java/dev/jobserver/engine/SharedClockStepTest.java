package dev.jobserver.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Found by {@link EngineStressTest} (seed 4 on PostgreSQL, with its clock steps): this machine's
 * wall clock set back or forward between two syncs of the shared clock (an NTP step, an operator)
 * moved every lease and due time the instance wrote until its next sync, a third of a lease later.
 * Set back by minutes, the leases it extended were expired when written, and another instance
 * started a job whose run was still alive here. The shared clock runs on the monotonic clock from
 * its last sync, so a step of the wall clock changes nothing.
 */
class SharedClockStepTest {

  private static final long MINUTE = 60_000L;

  @Test
  void aStepOfThisMachinesWallClockBetweenTwoSyncsDoesNotMoveTheSharedClock() {
    SettableClock machine = new SettableClock();
    AtomicLong database = new AtomicLong(machine.millis() - 5000); // this machine is 5 s ahead
    SharedClock clock = new SharedClock(machine, database::get);
    clock.sync();
    assertEquals(database.get(), clock.millis());

    machine.setWall(machine.millis() - 10 * MINUTE); // set back ten minutes
    assertEquals(database.get(), clock.millis(), "the step is not seen");
    machine.advance(700);
    database.addAndGet(700);
    assertEquals(database.get(), clock.millis(), "time goes on at the monotonic clock's pace");

    machine.setWall(machine.millis() + 20 * MINUTE); // and forward
    assertEquals(database.get(), clock.millis());
    clock.sync();
    assertEquals(database.get(), clock.millis(), "a sync agrees with the database again");
  }
}
