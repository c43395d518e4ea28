package dev.jobserver.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one schedule does when it is due, decided from its due time, the clock and whether its
 * previous job is unfinished: pure, so every case is a unit test. A due time more than {@code
 * graceMillis} old counts as missed (no instance fired it in time: they were all down); younger
 * ones fire, late or not, each with its own job.
 *
 * @param create the due times to create a job for (the key of each job)
 * @param skipped due times that made no job because the previous job was unfinished
 * @param missed due times that were missed (all of them, fired or not)
 * @param nextRunAt the first due time after {@code now}, or {@link Long#MAX_VALUE} if none
 * @param lastDueAt the latest due time dealt with here
 */
public record Firing(List<Long> create, long skipped, long missed, long nextRunAt, long lastDueAt) {

  /** At most this many due times are counted as missed in one catch-up (the count's cap). */
  static final long MISSED_CAP = 100_000;

  /** At most this many late due times (within the grace) are dealt with in one round. */
  static final int LATE_CAP = 1000;

  public static Firing decide(
      Timing timing,
      long dueAt,
      long now,
      long graceMillis,
      Schedule.Overlap overlap,
      Schedule.Misfire misfire,
      boolean previousUnfinished) {
    List<Long> create = new ArrayList<>();
    long skipped = 0;
    long missed = 0;
    long lastDue = dueAt;
    boolean busy = previousUnfinished && overlap == Schedule.Overlap.SKIP;
    Optional<Long> due = Optional.of(dueAt);
    long graceStart = now - graceMillis;
    if (dueAt < graceStart) {
      missed = timing.count(dueAt, graceStart, MISSED_CAP);
      long lastMissed = timing.lastBefore(graceStart, dueAt).orElse(dueAt);
      lastDue = lastMissed;
      if (misfire == Schedule.Misfire.RUN_ONCE) {
        if (busy) {
          skipped++;
        } else {
          create.add(lastMissed); // one job for all of them, keyed by the latest
          busy = overlap == Schedule.Overlap.SKIP;
        }
      }
      due = timing.next(lastMissed);
    }
    int late = 0;
    while (due.isPresent() && due.get() <= now && late < LATE_CAP) {
      lastDue = due.get();
      if (busy) {
        skipped++;
      } else {
        create.add(due.get());
        busy = overlap == Schedule.Overlap.SKIP;
      }
      late++;
      due = timing.next(due.get());
    }
    return new Firing(create, skipped, missed, due.orElse(Long.MAX_VALUE), lastDue);
  }
}
