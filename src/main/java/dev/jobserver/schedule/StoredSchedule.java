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
 * A {@code job_schedule} row as JPA maps it (Liquibase owns the table): what the service reads a
 * schedule by. The firing round reads and writes the same rows with SQL ({@code
 * store.ScheduleFirings}), several at a time under {@code SKIP LOCKED}.
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
