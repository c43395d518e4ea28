package dev.jobserver.schedule;

import dev.jobserver.job.JobData;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Lob;
import jakarta.persistence.Table;

/**
 * A {@code job_schedule} row as JPA maps it (Liquibase owns the table): the service reads, creates,
 * replaces, pauses, resumes and deletes schedules through it, each under the row's lock ({@code
 * service.ScheduleService}). The firing round and a trigger read and write the same rows with SQL
 * ({@code store.ScheduleFirings}): a round claims several at a time under {@code SKIP LOCKED} and
 * creates their jobs through the job store's native creates in the same transaction.
 */
@Entity
@Table(name = "job_schedule")
public class StoredSchedule {

  @Id
  @Column(length = 26)
  private String id;

  @Column(length = 200)
  private String name;

  @Column(nullable = false, length = 32)
  private String type;

  @Lob
  @Column(nullable = false)
  private String data;

  @Column(length = 200)
  private String cron;

  @Column(length = 64)
  private String every;

  @Column(name = "every_ms")
  private Long everyMillis;

  @Column(name = "time_zone", nullable = false, length = 64)
  private String timeZone;

  private boolean paused;

  @Enumerated(EnumType.STRING)
  @Column(nullable = false, length = 10)
  private Schedule.Overlap overlap;

  @Enumerated(EnumType.STRING)
  @Column(nullable = false, length = 10)
  private Schedule.Misfire misfire;

  @Column(name = "next_run_at")
  private long nextRunAt;

  @Column(name = "last_due_at")
  private Long lastDueAt;

  @Column(name = "last_run_at")
  private Long lastRunAt;

  @Column(name = "last_job_id", length = 80)
  private String lastJobId;

  private long fired;
  private long skipped;
  private long missed;

  @Column(name = "created_by")
  private String createdBy;

  @Column(name = "created_at")
  private long createdAt;

  @Column(name = "updated_at")
  private long updatedAt;

  protected StoredSchedule() {}

  /** A new row for this schedule, its counts zero, created by {@code createdBy} (cut to fit). */
  public StoredSchedule(Schedule s, String createdBy) {
    id = s.id();
    define(s);
    nextRunAt = s.nextRunAt();
    this.createdBy = createdBy;
    createdAt = s.createdAt();
    updatedAt = s.updatedAt();
  }

  /**
   * Replaces the definition (its counts, history and creation stay). The next due time is computed
   * anew from now, and never at or before a due time it has dealt with.
   */
  public void replace(Schedule with, long now) {
    define(with);
    nextRunAt = nextAfter(with.timing(), Math.max(now, lastDueAt == null ? 0 : lastDueAt));
    updatedAt = now;
  }

  /** Pauses it: it creates no job until resumed. False if it was paused already (no change). */
  public boolean pause(long now) {
    if (paused) {
      return false;
    }
    paused = true;
    updatedAt = now;
    return true;
  }

  /**
   * Resumes it from now on: the due times that passed while it was paused make no job (they are not
   * misfires). False if it was not paused (no change).
   */
  public boolean resume(long now) {
    if (!paused) {
      return false;
    }
    nextRunAt = nextAfter(toSchedule().timing(), Math.max(now, lastDueAt == null ? 0 : lastDueAt));
    paused = false;
    updatedAt = now;
    return true;
  }

  private void define(Schedule s) {
    name = s.name();
    type = s.type();
    data = JobData.toJson(s.data());
    cron = s.cron();
    every = s.every();
    everyMillis = s.every() == null ? null : Timing.parseEvery(s.every()).toMillis();
    timeZone = s.timeZone();
    paused = s.paused();
    overlap = s.overlap();
    misfire = s.misfire();
  }

  /** The first due time after {@code from}, or never. */
  private static long nextAfter(Timing timing, long from) {
    return timing.next(from).orElse(Long.MAX_VALUE);
  }

  /** The schedule this row holds. */
  public Schedule toSchedule() {
    return new Schedule(
        id,
        name,
        type,
        JobData.fromJson(data),
        cron,
        every,
        timeZone,
        paused,
        overlap,
        misfire,
        nextRunAt,
        lastDueAt,
        lastRunAt,
        lastJobId,
        fired,
        skipped,
        missed,
        createdBy,
        createdAt,
        updatedAt);
  }
}
