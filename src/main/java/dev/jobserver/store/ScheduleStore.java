package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobData;
import dev.jobserver.schedule.Schedule;
import dev.jobserver.schedule.ScheduleNotFoundException;
import dev.jobserver.schedule.Timing;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import javax.sql.DataSource;

/**
 * Schedules as callers define them ({@code job_schedule}) and who changed them ({@code
 * schedule_event}): create, read, replace, pause, resume, trigger, delete, each with its event in
 * one transaction. Their firing is {@link ScheduleFirings}'; the row is read by {@link
 * ScheduleRows}.
 */
@ApplicationScoped
public class ScheduleStore {

  /** Makes the job a schedule creates for a due time (null: triggered by hand). */
  @FunctionalInterface
  public interface JobMaker {
    Job make(Schedule schedule, Long dueAt, long now);
  }

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  @Inject private JobStore jobs;

  public ScheduleStore() {}

  ScheduleStore(DataSource dataSource, JobStore jobs) {
    this.dataSource = dataSource;
    this.jobs = jobs;
  }

  public static ScheduleStore over(DataSource dataSource, JobStore jobs) {
    return new ScheduleStore(dataSource, jobs);
  }

  // ---- definitions ----------------------------------------------------------------------------

  /** Stores a new schedule with its "create" event. */
  public void insert(Schedule s, String actor) throws SQLException {
    try (Connection c = transaction();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO job_schedule (id, name, type, data, cron, every, every_ms,"
                    + " time_zone, paused, overlap, misfire, next_run_at, last_due_at,"
                    + " last_run_at, last_job_id, fired, skipped, missed, created_by, created_at,"
                    + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL,"
                    + " 0, 0, 0, ?, ?, ?)")) {
      int i = 1;
      ps.setString(i++, s.id());
      ps.setString(i++, s.name());
      ps.setString(i++, s.type());
      ps.setString(i++, JobData.toJson(s.data()));
      ps.setString(i++, s.cron());
      ps.setString(i++, s.every());
      setEveryMillis(ps, i++, s.every());
      ps.setString(i++, s.timeZone());
      ps.setBoolean(i++, s.paused());
      ps.setString(i++, s.overlap().name());
      ps.setString(i++, s.misfire().name());
      ps.setLong(i++, s.nextRunAt());
      ps.setString(i++, Text.column(s.createdBy(), JobEventStore.MAX_ACTOR));
      ps.setLong(i++, s.createdAt());
      ps.setLong(i, s.updatedAt());
      ps.executeUpdate();
      event(c, s.id(), s.createdAt(), actor, "create", describe(s));
      c.commit();
    }
  }

  /**
   * Replaces a schedule's definition (its counts, history and creation stay). Its next due time is
   * computed anew from now, and never at or before a due time it has dealt with.
   */
  public Schedule replace(String id, Schedule with, String actor, long now) throws SQLException {
    try (Connection c = transaction()) {
      Schedule old = lock(c, id);
      long next =
          ScheduleRows.nextAfter(
              with.timing(), Math.max(now, old.lastDueAt() == null ? 0 : old.lastDueAt()));
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE job_schedule SET name = ?, type = ?, data = ?, cron = ?, every = ?,"
                  + " every_ms = ?, time_zone = ?, paused = ?, overlap = ?, misfire = ?,"
                  + " next_run_at = ?, updated_at = ? WHERE id = ?")) {
        int i = 1;
        ps.setString(i++, with.name());
        ps.setString(i++, with.type());
        ps.setString(i++, JobData.toJson(with.data()));
        ps.setString(i++, with.cron());
        ps.setString(i++, with.every());
        setEveryMillis(ps, i++, with.every());
        ps.setString(i++, with.timeZone());
        ps.setBoolean(i++, with.paused());
        ps.setString(i++, with.overlap().name());
        ps.setString(i++, with.misfire().name());
        ps.setLong(i++, next);
        ps.setLong(i++, now);
        ps.setString(i, id);
        ps.executeUpdate();
      }
      event(c, id, now, actor, "replace", describe(with));
      Schedule updated = lock(c, id);
      c.commit();
      return updated;
    }
  }

  /** Deletes a schedule (the jobs it created stay, with its id); the deletion is recorded. */
  public void delete(String id, String actor, long now) throws SQLException {
    try (Connection c = transaction()) {
      lock(c, id);
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM job_schedule WHERE id = ?")) {
        ps.setString(1, id);
        ps.executeUpdate();
      }
      event(c, id, now, actor, "delete", null);
      c.commit();
    }
  }

  /** Pauses a schedule: it creates no job until resumed. Pausing a paused one changes nothing. */
  public Schedule pause(String id, String actor, long now) throws SQLException {
    try (Connection c = transaction()) {
      Schedule s = lock(c, id);
      if (!s.paused()) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "UPDATE job_schedule SET paused = TRUE, updated_at = ? WHERE id = ?")) {
          ps.setLong(1, now);
          ps.setString(2, id);
          ps.executeUpdate();
        }
        event(c, id, now, actor, "pause", null);
      }
      Schedule updated = lock(c, id);
      c.commit();
      return updated;
    }
  }

  /**
   * Resumes a paused schedule from now on: the due times that passed while it was paused make no
   * job (they are not misfires).
   */
  public Schedule resume(String id, String actor, long now) throws SQLException {
    try (Connection c = transaction()) {
      Schedule s = lock(c, id);
      if (s.paused()) {
        long from = Math.max(now, s.lastDueAt() == null ? 0 : s.lastDueAt());
        try (PreparedStatement ps =
            c.prepareStatement(
                "UPDATE job_schedule SET paused = FALSE, next_run_at = ?, updated_at = ?"
                    + " WHERE id = ?")) {
          ps.setLong(1, ScheduleRows.nextAfter(s.timing(), from));
          ps.setLong(2, now);
          ps.setString(3, id);
          ps.executeUpdate();
        }
        event(c, id, now, actor, "resume", null);
      }
      Schedule updated = lock(c, id);
      c.commit();
      return updated;
    }
  }

  /**
   * Creates the schedule's job now, whatever its overlap (the caller asked for it); its next due
   * time stays. The job's "created" event is by {@code schedule:<id>}, the trigger by the caller.
   */
  public Job trigger(String id, String actor, long now, JobMaker maker) throws SQLException {
    try (Connection c = transaction()) {
      Schedule s = lock(c, id);
      Job job = maker.make(s, null, now);
      Runnable committed = jobs.insertScheduled(c, List.of(job), actor);
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE job_schedule SET last_job_id = ?, last_run_at = ? WHERE id = ?")) {
        ps.setString(1, job.getId());
        ps.setLong(2, now);
        ps.setString(3, id);
        ps.executeUpdate();
      }
      event(c, id, now, actor, "trigger", "job " + job.getId());
      c.commit();
      committed.run();
      return job;
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static void setEveryMillis(PreparedStatement ps, int i, String every)
      throws SQLException {
    if (every == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, Timing.parseEvery(every).toMillis());
    }
  }

  private static String describe(Schedule s) {
    return (s.cron() != null ? "cron " + s.cron() + " " + s.timeZone() : "every " + s.every())
        + ", type "
        + s.type()
        + (s.paused() ? ", paused" : "");
  }

  private static void event(
      Connection c, String id, long at, String actor, String action, String message)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO schedule_event (schedule_id, at, actor, action, message)"
                + " VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, id);
      ps.setLong(2, at);
      ps.setString(3, Text.column(actor == null ? "anonymous" : actor, JobEventStore.MAX_ACTOR));
      ps.setString(4, action);
      ps.setString(5, Text.column(message, 4000));
      ps.executeUpdate();
    }
  }

  private static Schedule lock(Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + ScheduleRows.COLUMNS + " FROM job_schedule WHERE id = ? FOR UPDATE")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new ScheduleNotFoundException(id);
        }
        return ScheduleRows.read(rs);
      }
    }
  }

  private Connection transaction() throws SQLException {
    return ScheduleRows.transaction(dataSource);
  }
}
