package dev.jobserver.schedule;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A {@code schedule_event} row as JPA maps it (Liquibase owns the table): who changed a schedule,
 * read by the service. Written with the change it records, in its transaction ({@code
 * store.ScheduleStore}).
 */
@Entity
@Table(name = "schedule_event")
public class StoredScheduleEvent {

  @Id private long id;

  @Column(name = "schedule_id", nullable = false, length = 26)
  private String scheduleId;

  private long at;

  @Column(nullable = false)
  private String actor;

  @Column(nullable = false, length = 20)
  private String action;

  @Column(length = 4000)
  private String message;

  protected StoredScheduleEvent() {}

  public ScheduleEvent toEvent() {
    return new ScheduleEvent(scheduleId, at, actor, action, message);
  }
}
