package dev.jobserver.service;

import dev.jobserver.engine.ScheduleFiring;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobIds;
import dev.jobserver.job.JobSignal;
import dev.jobserver.job.JobTypeCatalog;
import dev.jobserver.job.StoreException;
import dev.jobserver.schedule.InvalidScheduleException;
import dev.jobserver.schedule.Schedule;
import dev.jobserver.schedule.ScheduleDefinition;
import dev.jobserver.schedule.ScheduleEvent;
import dev.jobserver.schedule.ScheduleNotFoundException;
import dev.jobserver.schedule.ScheduleSignal;
import dev.jobserver.schedule.StoredSchedule;
import dev.jobserver.schedule.StoredScheduleEvent;
import dev.jobserver.store.ScheduleStore;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionManagement;
import jakarta.ejb.TransactionManagementType;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.sql.SQLException;
import java.util.List;

/**
 * Schedules as the APIs manage them: create, read, replace, delete, pause, resume, trigger, and who
 * did each (the actor is the caller's token subject). Reads are JPA's ({@link StoredSchedule},
 * {@link StoredScheduleEvent}); writes go through {@link ScheduleStore} in its own local
 * transactions; the firing itself is the engine's ({@link ScheduleFiring}).
 */
@Stateless
@TransactionManagement(TransactionManagementType.BEAN)
public class ScheduleService {

  @PersistenceContext(unitName = "jobserver")
  private EntityManager em;

  @Inject private ScheduleStore store;
  @Inject private JobTypeCatalog types;
  @Inject private Event<ScheduleSignal> scheduleSignals;
  @Inject private Event<JobSignal> jobSignals;

  /**
   * @throws InvalidScheduleException naming the field that is wrong
   */
  public Schedule create(ScheduleDefinition definition, String actor) {
    long now = System.currentTimeMillis();
    Schedule s = definition.toSchedule(types, JobIds.newMattermostId(), actor, now, now);
    try {
      store.insert(s, actor);
    } catch (SQLException e) {
      throw StoreException.of("Storing the new schedule failed", e);
    }
    scheduleSignals.fire(new ScheduleSignal(s.id()));
    return s;
  }

  public Schedule get(String id) {
    StoredSchedule s = em.find(StoredSchedule.class, id);
    if (s == null) {
      throw new ScheduleNotFoundException(id);
    }
    return s.toSchedule();
  }

  /** Every schedule, oldest first. */
  public List<Schedule> list() {
    return em
        .createQuery(
            "SELECT s FROM StoredSchedule s ORDER BY s.createdAt, s.id", StoredSchedule.class)
        .getResultList()
        .stream()
        .map(StoredSchedule::toSchedule)
        .toList();
  }

  /**
   * Replaces the definition; counts, history and creation stay.
   *
   * @throws InvalidScheduleException naming the field that is wrong
   * @throws ScheduleNotFoundException if there is no such schedule
   */
  public Schedule replace(String id, ScheduleDefinition definition, String actor) {
    long now = System.currentTimeMillis();
    Schedule with = definition.toSchedule(types, id, actor, now, now);
    try {
      Schedule s = store.replace(id, with, actor, now);
      scheduleSignals.fire(new ScheduleSignal(id));
      return s;
    } catch (SQLException e) {
      throw StoreException.of("Replacing schedule " + id + " failed", e);
    }
  }

  public void delete(String id, String actor) {
    try {
      store.delete(id, actor, System.currentTimeMillis());
    } catch (SQLException e) {
      throw StoreException.of("Deleting schedule " + id + " failed", e);
    }
  }

  public Schedule pause(String id, String actor) {
    try {
      return store.pause(id, actor, System.currentTimeMillis());
    } catch (SQLException e) {
      throw StoreException.of("Pausing schedule " + id + " failed", e);
    }
  }

  public Schedule resume(String id, String actor) {
    try {
      Schedule s = store.resume(id, actor, System.currentTimeMillis());
      scheduleSignals.fire(new ScheduleSignal(id));
      return s;
    } catch (SQLException e) {
      throw StoreException.of("Resuming schedule " + id + " failed", e);
    }
  }

  /** Creates the schedule's job now; its next due time stays. */
  public Job trigger(String id, String actor) {
    try {
      Job job =
          store.trigger(
              id, actor, System.currentTimeMillis(), ScheduleFiring.jobs(types::maxAttempts));
      jobSignals.fire(new JobSignal(JobSignal.Kind.CREATED, job.getId()));
      return job;
    } catch (SQLException e) {
      throw StoreException.of("Triggering schedule " + id + " failed", e);
    }
  }

  /**
   * Who created, changed, paused, resumed, triggered or deleted it, oldest first (also after it was
   * deleted).
   */
  public List<ScheduleEvent> events(String id) {
    return em
        .createQuery(
            "SELECT e FROM StoredScheduleEvent e WHERE e.scheduleId = :id ORDER BY e.id",
            StoredScheduleEvent.class)
        .setParameter("id", id)
        .getResultList()
        .stream()
        .map(StoredScheduleEvent::toEvent)
        .toList();
  }
}
