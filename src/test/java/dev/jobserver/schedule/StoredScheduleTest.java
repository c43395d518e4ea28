package dev.jobserver.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.job.JobTypeCatalog;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The rules of a caller's change to a schedule's row (the service writes the entity through JPA,
 * checked in server by ScheduleIT): what a pause, a resume and a replacement do to its due times.
 */
class StoredScheduleTest {

  static final long T0 = 1_800_000_000_000L;

  static final JobTypeCatalog TYPES =
      new JobTypeCatalog() {
        @Override
        public boolean contains(String type) {
          return true;
        }

        @Override
        public int maxAttempts(String type) {
          return 1;
        }
      };

  private static Schedule every(String every, long now) {
    return new ScheduleDefinition(
            "s", "noop", Map.of("k", "v"), null, every, null, null, null, false)
        .toSchedule(TYPES, "sch1", "alice", now, now);
  }

  @Test
  void aNewRowHoldsTheDefinitionWithNoCountsAndItsCreator() {
    Schedule s = every("PT10S", T0);
    Schedule stored = new StoredSchedule(s, "alice").toSchedule();
    assertEquals(s, stored);
    assertEquals(T0 + 10_000, stored.nextRunAt());
    assertEquals(0, stored.fired() + stored.skipped() + stored.missed());
    assertNull(stored.lastDueAt());
  }

  @Test
  void pausingTwiceChangesNothingTheSecondTimeAndResumingDoesNotCatchUp() {
    StoredSchedule s = new StoredSchedule(every("PT1S", T0), "alice");
    assertTrue(s.pause(T0 + 100));
    assertFalse(s.pause(T0 + 200), "paused already");
    assertTrue(s.toSchedule().paused());
    assertEquals(T0 + 100, s.toSchedule().updatedAt());
    assertTrue(s.resume(T0 + 5_500));
    assertFalse(s.resume(T0 + 6_000), "not paused");
    Schedule resumed = s.toSchedule();
    assertFalse(resumed.paused());
    assertEquals(T0 + 6_500, resumed.nextRunAt(), "from now on: the paused due times make none");
    assertEquals(T0 + 5_500, resumed.updatedAt());
  }

  @Test
  void aReplacementKeepsCreationAndCountsAndItsNextDueTimeComesFromNow() {
    Schedule first = every("PT1S", T0);
    StoredSchedule s = new StoredSchedule(first, "alice");
    Schedule with =
        new ScheduleDefinition(
                "s2", "noop", Map.of(), "*/5 * * * * *", null, "Europe/Berlin", null, null, false)
            .toSchedule(TYPES, "sch1", "erin", T0 + 7_100, T0 + 7_100);
    s.replace(with, T0 + 7_100);
    Schedule replaced = s.toSchedule();
    assertEquals("*/5 * * * * *", replaced.cron());
    assertNull(replaced.every());
    assertEquals("Europe/Berlin", replaced.timeZone());
    assertEquals("s2", replaced.name());
    assertEquals(Map.of(), replaced.data());
    assertEquals(T0, replaced.createdAt());
    assertEquals("alice", replaced.createdBy());
    assertEquals(T0 + 7_100, replaced.updatedAt());
    assertEquals(T0 + 10_000, replaced.nextRunAt(), "the first multiple of 5 s after now");
  }
}
