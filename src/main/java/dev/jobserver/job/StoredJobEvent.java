package dev.jobserver.job;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A {@code job_event} row as JPA maps it (Liquibase owns the table): one status change of a job,
 * read by the service. Written only with SQL, in the transaction of the change and batched with
 * others ({@code store.Statements}, {@code store.JobCreates}).
 */
@Entity
@Table(name = "job_event")
public class StoredJobEvent {

  @Id private long id;

  @Column(name = "job_id", nullable = false, length = 80)
  private String jobId;

  private long at;

  @Column(nullable = false)
  private String actor;

  @Enumerated(EnumType.STRING)
  @Column(name = "old_status", length = 20)
  private JobStatus oldStatus;

  @Enumerated(EnumType.STRING)
  @Column(name = "new_status", nullable = false, length = 20)
  private JobStatus newStatus;

  @Column(length = 4000)
  private String message;

  protected StoredJobEvent() {}

  public JobEvent toEvent() {
    return new JobEvent(at, actor, oldStatus, newStatus, message);
  }
}
