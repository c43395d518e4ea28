package dev.jobserver.job;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Lob;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import java.util.List;
import java.util.Map;

/**
 * A job row: the queue entry, its state and its outcome. JPA maps it for reads; every write goes
 * through the store ({@code store.JobStore}), which applies what the state machine decided.
 */
@Entity
@Table(name = "job")
public class Job {

  @Id
  @Column(length = 80)
  private String id;

  @Column(nullable = false, length = 32)
  private String type;

  private int priority;

  @Column(name = "create_at")
  private long createAt;

  @Column(name = "start_at")
  private long startAt;

  @Column(name = "last_activity_at")
  private long lastActivityAt;

  @Enumerated(EnumType.STRING)
  @Column(nullable = false, length = 20)
  private JobStatus status;

  private int progress;

  @Lob
  @Column(nullable = false)
  private String data;

  @Lob private String stacktrace;

  @Column(name = "force_run")
  private boolean force;

  @Column(name = "created_by")
  private String createdBy;

  private int attempt;

  @Column(name = "max_attempts")
  private int maxAttempts = 1;

  @Column(name = "run_after")
  private long runAfter;

  @Column(name = "lease_owner")
  private String leaseOwner;

  @Column(name = "lease_expires_at")
  private long leaseExpiresAt;

  /** The schedule that created the job, or null. */
  @Column(name = "schedule_id", length = 26)
  private String scheduleId;

  /** The schedule's due time the job was created for (epoch ms), or null. */
  @Column(name = "due_at")
  private Long dueAt;

  /** The jobs this one waits for, as created (read from job_dependency, not mapped). */
  @Transient private List<String> dependsOn = List.of();

  protected Job() {}

  public Job(String id, String type, int priority, long createAt, Map<String, String> data) {
    this.id = id;
    this.type = type;
    this.priority = priority;
    this.createAt = createAt;
    this.status = JobStatus.PENDING;
    this.data = JobData.toJson(data);
  }

  public String getId() {
    return id;
  }

  public String getType() {
    return type;
  }

  public int getPriority() {
    return priority;
  }

  public long getCreateAt() {
    return createAt;
  }

  public long getStartAt() {
    return startAt;
  }

  public long getLastActivityAt() {
    return lastActivityAt;
  }

  public JobStatus getStatus() {
    return status;
  }

  public int getProgress() {
    return progress;
  }

  public Map<String, String> getData() {
    return JobData.fromJson(data);
  }

  /** The data as stored: a JSON object of strings. */
  public String dataJson() {
    return data;
  }

  public List<String> getStacktrace() {
    return JobData.listFromJson(stacktrace);
  }

  public boolean isForce() {
    return force;
  }

  public void setForce(boolean force) {
    this.force = force;
  }

  public String getCreatedBy() {
    return createdBy;
  }

  public void setCreatedBy(String createdBy) {
    this.createdBy = createdBy;
  }

  public int getAttempt() {
    return attempt;
  }

  public int getMaxAttempts() {
    return maxAttempts;
  }

  public void setMaxAttempts(int maxAttempts) {
    this.maxAttempts = maxAttempts;
  }

  public long getRunAfter() {
    return runAfter;
  }

  /** Not started before this time (epoch ms; 0: at once). */
  public void setRunAfter(long runAfter) {
    this.runAfter = runAfter;
  }

  public String getLeaseOwner() {
    return leaseOwner;
  }

  public long getLeaseExpiresAt() {
    return leaseExpiresAt;
  }

  public String getScheduleId() {
    return scheduleId;
  }

  public Long getDueAt() {
    return dueAt;
  }

  /** The job is a schedule's run for this due time (null: triggered by hand). */
  public void setSchedule(String scheduleId, Long dueAt) {
    this.scheduleId = scheduleId;
    this.dueAt = dueAt;
  }

  public List<String> getDependsOn() {
    return dependsOn;
  }

  public void setDependsOn(List<String> dependsOn) {
    this.dependsOn = List.copyOf(dependsOn);
  }

  /**
   * The status the store decided a new job starts with (blocked or abandoned when it waits for
   * other jobs), with the reason it cannot run as its error, if any.
   */
  public void startsAs(JobStatus status, String error) {
    this.status = status;
    if (error != null) {
      Map<String, String> d = new java.util.LinkedHashMap<>(getData());
      d.put("error", error);
      this.data = JobData.toJson(d);
    }
  }
}
