package dev.jobserver.schedule;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A {@code schedule_event} row as JPA maps it (Liquibase owns the table): who changed a schedule,
 * read by the service. Written with the change it records, in its transaction, by {@link #INSERT}.
 *
 * <p>Written by that SQL statement, not {@code em.persist}: its id is the table's identity column
 * (the events of a schedule are read in its order), and EclipseLink reads a generated identity back
 * with {@code CALL IDENTITY()}, a function H2 2.x no longer has (eclipse-ee4j/eclipselink#1393,
 * still in the 4.0.7 that Payara 6 ships: the persist fails on H2). Assigning ids in the
 * application instead (a sequence table, or a sequence the Liquibase change would add) would need
 * the column's identity dropped on existing databases and every other writer of the table (a
 * trigger's event is written with SQL, with its job) moved to it, for an id nobody reads back. So
 * the service runs this statement through its entity manager ({@code createNativeQuery}), in the
 * change's JTA transaction, and the trigger through JDBC in its own.
 */
@Entity
@Table(name = "schedule_event")
public class StoredScheduleEvent {

  /** Appends an event: schedule id, at (epoch ms), actor, action, message (nullable). */
  public static final String INSERT =
      "INSERT INTO schedule_event (schedule_id, at, actor, action, message)"
          + " VALUES (?, ?, ?, ?, ?)";

  /** The longest actor and message the columns hold. */
  public static final int MAX_ACTOR = 255, MAX_MESSAGE = 4000;

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
