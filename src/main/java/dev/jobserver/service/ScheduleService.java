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
import dev.jobserver.store.ScheduleFirings;
import dev.jobserver.store.Text;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.PersistenceException;
import java.sql.SQLException;
import java.util.List;

/**
 * Schedules as the APIs manage them: create, read, replace, delete, pause, resume, trigger, and who
 * did each (the actor is the caller's token subject). Reads and changes go through JPA ({@link
 * StoredSchedule}, {@link StoredScheduleEvent}), each change with its event in one JTA transaction
 * (the container's: this bean's methods), the schedule's row locked first ({@code FOR UPDATE}: a
 * firing round skips it meanwhile, a change in another instance waits). A trigger creates a job, so
 * it is the firing's ({@link ScheduleFirings#trigger}, SQL in its own transaction, like the job
 * creates it shares it with); the firing itself is the engine's ({@link ScheduleFiring}).
 */
@Stateless
public class ScheduleService {

  @PersistenceContext(unitName = "jobserver")
  private EntityManager em;

  @Inject private ScheduleFirings firings;
  @Inject private JobTypeCatalog types;
  @Inject private Event<ScheduleSignal> scheduleSignals;
  @Inject private Event<JobSignal> jobSignals;

  /**
   * @throws InvalidScheduleException naming the field that is wrong
   */
  public Schedule create(ScheduleDefinition definition, String actor) {
    long now = System.currentTimeMillis();
    Schedule s = definition.toSchedule(types, JobIds.newMattermostId(), actor, now, now);
    written(
        "Storing the new schedule",
        () -> {
          em.persist(
              new StoredSchedule(s, Text.column(s.createdBy(), StoredScheduleEvent.MAX_ACTOR)));
          event(s.id(), s.createdAt(), actor, "create", describe(s));
        });
    // observed after the commit (AFTER_SUCCESS): the firing loop then finds the row
    scheduleSignals.fire(new ScheduleSignal(s.id()));
    return s;
  }

  @TransactionAttribute(TransactionAttributeType.SUPPORTS)
  public Schedule get(String id) {
    StoredSchedule s = em.find(StoredSchedule.class, id);
    if (s == null) {
      throw new ScheduleNotFoundException(id);
    }
    return s.toSchedule();
  }

  /** Every schedule, oldest first. */
  @TransactionAttribute(TransactionAttributeType.SUPPORTS)
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
    StoredSchedule s = locked(id);
    written(
        "Replacing schedule " + id,
        () -> {
          s.replace(with, now);
          event(id, now, actor, "replace", describe(with));
        });
    scheduleSignals.fire(new ScheduleSignal(id));
    return s.toSchedule();
  }

  /** Deletes a schedule (the jobs it created stay, with its id); the deletion is recorded. */
  public void delete(String id, String actor) {
    long now = System.currentTimeMillis();
    StoredSchedule s = locked(id);
    written(
        "Deleting schedule " + id,
        () -> {
          em.remove(s);
          event(id, now, actor, "delete", null);
        });
  }

  /** Pauses a schedule: it creates no job until resumed. Pausing a paused one changes nothing. */
  public Schedule pause(String id, String actor) {
    long now = System.currentTimeMillis();
    StoredSchedule s = locked(id);
    written(
        "Pausing schedule " + id,
        () -> {
          if (s.pause(now)) {
            event(id, now, actor, "pause", null);
          }
        });
    return s.toSchedule();
  }

  /**
   * Resumes a paused schedule from now on: the due times that passed while it was paused make no
   * job (they are not misfires). Resuming one that is not paused changes nothing.
   */
  public Schedule resume(String id, String actor) {
    long now = System.currentTimeMillis();
    StoredSchedule s = locked(id);
    written(
        "Resuming schedule " + id,
        () -> {
          if (s.resume(now)) {
            event(id, now, actor, "resume", null);
          }
        });
    scheduleSignals.fire(new ScheduleSignal(id));
    return s.toSchedule();
  }

  /**
   * Creates the schedule's job now; its next due time stays. Outside a JTA transaction: the
   * firing's SQL commits the job with the schedule's row in its own.
   */
  @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
  public Job trigger(String id, String actor) {
    try {
      Job job =
          firings.trigger(
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
  @TransactionAttribute(TransactionAttributeType.SUPPORTS)
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

  // ---- helpers --------------------------------------------------------------------------------

  /** The schedule's row, locked until this transaction ends ({@code SELECT ... FOR UPDATE}). */
  private StoredSchedule locked(String id) {
    StoredSchedule s;
    try {
      s = em.find(StoredSchedule.class, id, LockModeType.PESSIMISTIC_WRITE);
    } catch (PersistenceException e) {
      throw failed("Reading schedule " + id, e);
    }
    if (s == null) {
      throw new ScheduleNotFoundException(id);
    }
    return s;
  }

  /**
   * Runs a change and writes it now (flush), so that a failure of the database is this change's
   * {@link StoreException}, as for every other store write, rather than the commit's.
   */
  private void written(String what, Runnable change) {
    try {
      change.run();
      em.flush();
    } catch (PersistenceException e) {
      throw failed(what, e);
    }
  }

  private static StoreException failed(String what, PersistenceException e) {
    return new StoreException(
        what + " failed: " + e.getMessage(), e, StoreException.isUnavailable(e));
  }

  /** Records who did what, in the change's transaction (see {@link StoredScheduleEvent}). */
  private void event(String id, long at, String actor, String action, String message) {
    em.createNativeQuery(StoredScheduleEvent.INSERT)
        .setParameter(1, id)
        .setParameter(2, at)
        .setParameter(
            3, Text.column(actor == null ? "anonymous" : actor, StoredScheduleEvent.MAX_ACTOR))
        .setParameter(4, action)
        .setParameter(5, Text.column(message, StoredScheduleEvent.MAX_MESSAGE))
        .executeUpdate();
  }

  private static String describe(Schedule s) {
    return (s.cron() != null ? "cron " + s.cron() + " " + s.timeZone() : "every " + s.every())
        + ", type "
        + s.type()
        + (s.paused() ? ", paused" : "");
  }
}
