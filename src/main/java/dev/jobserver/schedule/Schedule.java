package dev.jobserver.schedule;

import java.util.Map;

/**
 * A recurring schedule: it creates a job of {@code type} with {@code data} at each due time (a cron
 * in a zone, or every interval). Times are epoch ms; null for "not yet".
 *
 * @param lastDueAt the latest due time dealt with (fired, skipped or missed): due times only move
 *     forward past it, so none makes a second job
 * @param lastRunAt the due time (or trigger time) of the latest job it created
 * @param fired due times that created a job (triggers not counted)
 * @param skipped due times that created none because the previous job was unfinished (overlap skip)
 * @param missed due times that passed while no instance fired them (misfire)
 */
public record Schedule(
    String id,
    String name,
    String type,
    Map<String, String> data,
    String cron,
    String every,
    String timeZone,
    boolean paused,
    Overlap overlap,
    Misfire misfire,
    long nextRunAt,
    Long lastDueAt,
    Long lastRunAt,
    String lastJobId,
    long fired,
    long skipped,
    long missed,
    String createdBy,
    long createdAt,
    long updatedAt) {

  /** Whether a due time creates a job while the schedule's previous job is unfinished. */
  public enum Overlap {
    /** No new job while the previous one is unfinished (the default). */
    SKIP,
    ALLOW;

    public String wire() {
      return name().toLowerCase();
    }
  }

  /** What due times that passed while no instance fired them (downtime) make. */
  public enum Misfire {
    /** Nothing: only due times from now on fire (the default). */
    SKIP,
    /** One job for all of them. */
    RUN_ONCE;

    public String wire() {
      return name().toLowerCase();
    }
  }

  /** The timing this schedule fires on. */
  public Timing timing() {
    return Timing.of(cron, every, timeZone);
  }
}
