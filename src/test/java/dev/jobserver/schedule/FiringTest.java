package dev.jobserver.schedule;

import static dev.jobserver.schedule.Schedule.Misfire.RUN_ONCE;
import static dev.jobserver.schedule.Schedule.Overlap.ALLOW;
import static dev.jobserver.schedule.Schedule.Overlap.SKIP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Due times (cron in a zone, intervals) and what a due schedule does, without a database. */
class FiringTest {

  private static final long T0 = 1_800_000_000_000L; // 2027-01-15T08:00:00Z
  private final Timing every10s = Timing.of(null, "PT10S", null);

  private static long at(String iso) {
    return ZonedDateTime.parse(iso).toInstant().toEpochMilli();
  }

  @Test
  void anOnTimeOrSlightlyLateDueTimeMakesOneJobAndTheNextIsTheFollowingOne() {
    Firing f = Firing.decide(every10s, T0, T0 + 150, 5000, SKIP, Schedule.Misfire.SKIP, false);
    assertEquals(List.of(T0), f.create());
    assertEquals(T0 + 10_000, f.nextRunAt());
    assertEquals(T0, f.lastDueAt());
    assertEquals(0, f.missed());
  }

  @Test
  void overlapSkipMakesNoJobWhileThePreviousIsUnfinishedAllowDoes() {
    Firing skip = Firing.decide(every10s, T0, T0, 5000, SKIP, Schedule.Misfire.SKIP, true);
    assertEquals(List.of(), skip.create());
    assertEquals(1, skip.skipped());
    assertEquals(T0 + 10_000, skip.nextRunAt(), "the due time is used up all the same");
    Firing allow = Firing.decide(every10s, T0, T0, 5000, ALLOW, Schedule.Misfire.SKIP, true);
    assertEquals(List.of(T0), allow.create());
  }

  @Test
  void lateDueTimesWithinTheGraceEachMakeAJobUnlessTheyOverlap() {
    Firing allow =
        Firing.decide(every10s, T0, T0 + 25_000, 60_000, ALLOW, Schedule.Misfire.SKIP, false);
    assertEquals(List.of(T0, T0 + 10_000, T0 + 20_000), allow.create());
    assertEquals(T0 + 30_000, allow.nextRunAt());
    Firing skip =
        Firing.decide(every10s, T0, T0 + 25_000, 60_000, SKIP, Schedule.Misfire.SKIP, false);
    assertEquals(List.of(T0), skip.create(), "the first one's job is unfinished");
    assertEquals(2, skip.skipped());
  }

  @Test
  void afterDowntimeMisfireSkipFiresOnlyWhatIsStillWithinTheGrace() {
    // down from T0 to T0 + 95 s; grace 5 s: T0 .. T0 + 80 s missed, T0 + 90 s fires late
    Firing f = Firing.decide(every10s, T0, T0 + 95_000, 5_000, ALLOW, Schedule.Misfire.SKIP, false);
    assertEquals(9, f.missed());
    assertEquals(List.of(T0 + 90_000), f.create());
    assertEquals(T0 + 100_000, f.nextRunAt());
    Firing none =
        Firing.decide(every10s, T0, T0 + 99_000, 5_000, ALLOW, Schedule.Misfire.SKIP, false);
    assertEquals(10, none.missed());
    assertEquals(List.of(), none.create(), "only future due times");
    assertEquals(T0 + 100_000, none.nextRunAt());
    assertEquals(T0 + 90_000, none.lastDueAt());
  }

  @Test
  void afterDowntimeRunOnceMakesOneJobForAllMissedDueTimes() {
    Firing f = Firing.decide(every10s, T0, T0 + 99_000, 5_000, SKIP, RUN_ONCE, false);
    assertEquals(10, f.missed());
    assertEquals(List.of(T0 + 90_000), f.create(), "keyed by the latest missed due time");
    Firing busy = Firing.decide(every10s, T0, T0 + 99_000, 5_000, SKIP, RUN_ONCE, true);
    assertEquals(List.of(), busy.create());
    assertEquals(1, busy.skipped());
  }

  @Test
  void aLongDowntimeOfAnEverySecondCronIsJumpedNotWalked() {
    Timing everySecond = Timing.of("* * * * * *", null, "UTC");
    long start = System.nanoTime();
    Firing f =
        Firing.decide(everySecond, T0, T0 + 86_400_000L, 5_000, SKIP, Schedule.Misfire.SKIP, false);
    assertTrue(System.nanoTime() - start < 30_000_000_000L);
    assertEquals(86_395, f.missed());
    assertEquals(T0 + 86_400_000L + 1000, f.nextRunAt());
    assertEquals(6, f.create().size() + f.skipped(), "the last 5 s, both ends included");
  }

  @Test
  void cronInAZoneFollowsItsLocalTimeAcrossDaylightSavingTime() {
    Timing nineBerlin = Timing.of("0 9 * * *", null, "Europe/Berlin");
    long saturday = at("2026-03-28T12:00:00+01:00[Europe/Berlin]");
    long sunday = nineBerlin.next(saturday).orElseThrow();
    assertEquals(at("2026-03-29T09:00:00+02:00[Europe/Berlin]"), sunday, "09:00 local, CEST");
    assertEquals(at("2026-03-29T07:00:00Z"), sunday);
    assertEquals(
        at("2026-03-30T07:00:00Z"), (long) nineBerlin.next(sunday).orElseThrow(), "23 h later");
    // the hour that does not exist when clocks go forward is skipped that day
    Timing half2 = Timing.of("30 2 * * *", null, "Europe/Berlin");
    assertEquals(at("2026-03-30T02:30:00+02:00[Europe/Berlin]"), (long) half2.next(saturday).get());
    // six fields: seconds first
    Timing quarterMinute = Timing.of("*/15 * * * * *", null, "UTC");
    assertEquals(T0 + 15_000, (long) quarterMinute.next(T0).get());
    Timing everySecond = Timing.of("* * * * * *", null, "UTC");
    assertEquals(T0 + 1000, (long) everySecond.next(T0 + 266).get(), "on whole seconds");
    assertEquals(T0, (long) everySecond.lastBefore(T0 + 500, T0 - 5000).get());
    assertEquals(T0 - 1000, (long) everySecond.lastBefore(T0, T0 - 5000).get());
    Timing weekdays = Timing.of("0 8 * * 1-5", null, "America/New_York");
    assertEquals(at("2027-01-15T08:00:00-05:00[America/New_York]"), (long) weekdays.next(T0).get());
  }

  @Test
  void badDefinitionsNameTheirField() {
    assertEquals("cron", field(() -> Timing.of("* * *", null, "UTC")));
    assertEquals("cron", field(() -> Timing.of("61 * * * *", null, "UTC")));
    assertEquals("cron", field(() -> Timing.of("0 0 30 2 *", null, "UTC")), "never fires");
    assertEquals("cron", field(() -> Timing.of(null, null, "UTC")), "neither");
    assertEquals("every", field(() -> Timing.of("* * * * *", "PT1S", "UTC")), "both");
    assertEquals("every", field(() -> Timing.of(null, "PT0.5S", "UTC")));
    assertEquals("every", field(() -> Timing.of(null, "10 seconds", "UTC")));
    assertEquals("every", field(() -> Timing.of(null, "P1M", "UTC")));
    assertEquals("time_zone", field(() -> Timing.of("* * * * *", null, "Mars/Olympus")));
    assertEquals("time_zone", field(() -> Timing.of("* * * * *", null, "+02:00")));
    assertTrue(
        assertThrows(InvalidScheduleException.class, () -> Timing.of(null, "PT0S", null))
            .getMessage()
            .startsWith("every: "));
  }

  private static String field(Runnable r) {
    return assertThrows(InvalidScheduleException.class, r::run).field();
  }
}
