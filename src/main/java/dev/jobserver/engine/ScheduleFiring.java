package dev.jobserver.engine;

import dev.jobserver.job.Job;
import dev.jobserver.job.JobIds;
import dev.jobserver.store.ScheduleFirings;
import java.sql.SQLException;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

/**
 * The engine's schedule loop: fires due schedules in rounds (each one transaction, see {@link
 * ScheduleFirings#fire}), then sleeps until the earliest due time (read from the database, as other
 * instances create and change schedules too), at most {@code pollMaxMillis}; a schedule created or
 * changed on this instance wakes it at once. Every instance runs one; they share the due schedules
 * through {@code SKIP LOCKED}, so nothing here elects a leader.
 */
public final class ScheduleFiring {

  /** Most schedules fired in one transaction. */
  public static final int BATCH = 200;

  /** Pause before looking again when what is due is being fired by another instance. */
  static final long BUSY_WAIT_MILLIS = 20;

  private final EngineClock clock;
  private final Supplier<ScheduleFirings> store;
  private final ScheduleFirings.JobMaker maker;
  private final long graceMillis;
  private final long pollMaxMillis;
  private final Runnable jobsCreated;
  private final Consumer<List<ScheduleFirings.Fired>> fired;
  private final String firedBy;

  private final Object wake = new Object();
  private boolean wakeRequested;
  private volatile boolean stopped;

  /**
   * @param graceMillis how late a due time may fire; older ones count as missed (misfire)
   * @param jobsCreated told when a round created jobs (the local dispatcher claims them)
   * @param fired told what each schedule did in a round (metrics)
   * @param firedBy this instance's engine, named in the created jobs' events
   */
  public ScheduleFiring(
      EngineClock clock,
      Supplier<ScheduleFirings> store,
      ScheduleFirings.JobMaker maker,
      long graceMillis,
      long pollMaxMillis,
      Runnable jobsCreated,
      Consumer<List<ScheduleFirings.Fired>> fired,
      String firedBy) {
    this.clock = clock;
    this.store = store;
    this.maker = maker;
    this.graceMillis = graceMillis;
    this.pollMaxMillis = pollMaxMillis;
    this.jobsCreated = jobsCreated;
    this.fired = fired;
    this.firedBy = firedBy;
  }

  /** The job a schedule makes: its type and data, created by {@code schedule:<id>}. */
  public static ScheduleFirings.JobMaker jobs(ToIntFunction<String> maxAttempts) {
    return (schedule, dueAt, now) -> {
      Job job = new Job(JobIds.newMattermostId(), schedule.type(), 0, now, schedule.data());
      job.setCreatedBy("schedule:" + schedule.id());
      job.setMaxAttempts(maxAttempts.applyAsInt(schedule.type()));
      job.setSchedule(schedule.id(), dueAt);
      return job;
    };
  }

  /** One firing round now; returns what each schedule it claimed did. */
  public List<ScheduleFirings.Fired> fire() throws SQLException {
    List<ScheduleFirings.Fired> round =
        store.get().fire(clock.millis(), graceMillis, BATCH, maker, firedBy);
    if (!round.isEmpty()) {
      fired.accept(round);
      if (round.stream().anyMatch(f -> f.created() > 0)) {
        jobsCreated.run();
      }
    }
    return round;
  }

  /**
   * One turn of the loop: a round, then (unless the round was full) a wait until the earliest due
   * time, a wake-up, or the poll interval. A failure throws (the loop backs off).
   */
  public void step() throws SQLException, InterruptedException {
    if (fire().size() == BATCH) {
      return; // more may be due
    }
    long wait = pollMaxMillis;
    OptionalLong next = store.get().nextDue();
    if (next.isPresent()) {
      long until = next.getAsLong() - clock.millis();
      // due now, yet nothing was left to claim: another instance is firing it
      wait = until <= 0 ? BUSY_WAIT_MILLIS : Math.min(until, pollMaxMillis);
    }
    synchronized (wake) {
      if (!wakeRequested && !stopped) {
        wake.wait(wait);
      }
      wakeRequested = false;
    }
  }

  /** A schedule was created or changed here: look at once. */
  public void wake() {
    synchronized (wake) {
      wakeRequested = true;
      wake.notifyAll();
    }
  }

  public void stop() {
    stopped = true;
    wake();
  }
}
