package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobData;
import dev.jobserver.job.JobStatus;
import dev.jobserver.schedule.Firing;
import dev.jobserver.schedule.InvalidScheduleException;
import dev.jobserver.schedule.Schedule;
import dev.jobserver.schedule.ScheduleEvent;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The only writer of {@code job_schedule} and {@code schedule_event}: schedules and who changed
 * them, and their firing. A firing claims due schedules with {@code FOR UPDATE SKIP LOCKED}, and in
 * the same transaction creates their jobs (through {@link JobStore}, under the unique {@code
 * (schedule_id, due_at)} key) and advances them: whichever instance fires a due time, it makes one
 * job, and a crash between the two is impossible.
 */
@ApplicationScoped
public class ScheduleStore {

  static final String COLUMNS =
      "id, name, type, data, cron, every, time_zone, paused, overlap, misfire, next_run_at,"
          + " last_due_at, last_run_at, last_job_id, fired, skipped, missed, created_by,"
          + " created_at, updated_at";

  /** Makes the job a schedule creates for a due time (null: triggered by hand). */
  @FunctionalInterface
  public interface JobMaker {
    Job make(Schedule schedule, Long dueAt, long now);
  }

  /** What one schedule did in a firing round, for metrics. */
  public record Fired(String scheduleId, int created, long skipped, long missed) {}

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

  public Optional<Schedule> get(String id) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT " + COLUMNS + " FROM job_schedule WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs)) : Optional.empty();
      }
    }
  }

  /** Every schedule, oldest first. */
  public List<Schedule> list() throws SQLException {
    List<Schedule> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT " + COLUMNS + " FROM job_schedule ORDER BY created_at, id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(read(rs));
      }
    }
    return out;
  }

  /**
   * Replaces a schedule's definition (its counts, history and creation stay). Its next due time is
   * computed anew from now, and never at or before a due time it has dealt with.
   */
  public Schedule replace(String id, Schedule with, String actor, long now) throws SQLException {
    try (Connection c = transaction()) {
      Schedule old = lock(c, id);
      long next =
          nextAfter(with.timing(), Math.max(now, old.lastDueAt() == null ? 0 : old.lastDueAt()));
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
          ps.setLong(1, nextAfter(s.timing(), from));
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

  /** A schedule's recorded changes, oldest first (also after it was deleted). */
  public List<ScheduleEvent> events(String id) throws SQLException {
    List<ScheduleEvent> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT schedule_id, at, actor, action, message FROM schedule_event"
                    + " WHERE schedule_id = ? ORDER BY id")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new ScheduleEvent(
                  rs.getString(1),
                  rs.getLong(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5)));
        }
      }
    }
    return out;
  }

  // ---- firing ---------------------------------------------------------------------------------

  /**
   * One firing round: claims up to {@code limit} due, unpaused schedules (those another instance is
   * firing are skipped, never waited for) and, in one transaction, creates the jobs their due times
   * make and advances them, as {@link Firing} decides for each.
   *
   * @param graceMillis how late a due time may be and still fire (older ones were missed)
   * @param firedBy the firing instance, named in its jobs' "created" events
   * @return what each claimed schedule did
   */
  public List<Fired> fire(long now, long graceMillis, int limit, JobMaker maker, String firedBy)
      throws SQLException {
    try (Connection c = transaction()) {
      List<Schedule> due = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + COLUMNS
                  + " FROM job_schedule WHERE paused = FALSE AND next_run_at <= ?"
                  + " ORDER BY next_run_at LIMIT ? FOR UPDATE SKIP LOCKED")) {
        ps.setLong(1, now);
        ps.setInt(2, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            due.add(read(rs));
          }
        }
      }
      if (due.isEmpty()) {
        c.commit();
        return List.of();
      }
      Set<String> previous = new HashSet<>();
      for (Schedule s : due) {
        if (s.overlap() == Schedule.Overlap.SKIP && s.lastJobId() != null) {
          previous.add(s.lastJobId());
        }
      }
      Map<String, JobStatus> statuses = jobs.statuses(c, previous);
      List<Job> created = new ArrayList<>();
      List<Fired> fired = new ArrayList<>();
      try (PreparedStatement up =
          c.prepareStatement(
              "UPDATE job_schedule SET next_run_at = ?, last_due_at = ?, last_run_at = ?,"
                  + " last_job_id = ?, fired = fired + ?, skipped = skipped + ?,"
                  + " missed = missed + ? WHERE id = ?")) {
        for (Schedule s : due) {
          Firing f;
          try {
            JobStatus last = s.lastJobId() == null ? null : statuses.get(s.lastJobId());
            f =
                Firing.decide(
                    s.timing(),
                    s.nextRunAt(),
                    now,
                    graceMillis,
                    s.overlap(),
                    s.misfire(),
                    last != null && !last.isFinished());
          } catch (InvalidScheduleException unusable) {
            // a definition stored valid that no longer is (its cron has no future due time)
            f = new Firing(List.of(), 0, 0, Long.MAX_VALUE, s.nextRunAt());
          }
          String lastJob = s.lastJobId();
          Long lastRun = s.lastRunAt();
          for (long dueAt : f.create()) {
            Job job = maker.make(s, dueAt, now);
            created.add(job);
            lastJob = job.getId();
            lastRun = dueAt;
          }
          up.setLong(1, f.nextRunAt());
          up.setLong(2, f.lastDueAt());
          if (lastRun == null) {
            up.setNull(3, Types.BIGINT);
          } else {
            up.setLong(3, lastRun);
          }
          up.setString(4, lastJob);
          up.setLong(5, f.create().size());
          up.setLong(6, f.skipped());
          up.setLong(7, f.missed());
          up.setString(8, s.id());
          up.addBatch();
          fired.add(new Fired(s.id(), f.create().size(), f.skipped(), f.missed()));
        }
        Runnable committed = jobs.insertScheduled(c, created, firedBy);
        up.executeBatch();
        c.commit();
        committed.run();
      }
      return fired;
    }
  }

  /** The earliest due time of an unpaused schedule, if any. */
  public OptionalLong nextDue() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT MIN(next_run_at) FROM job_schedule WHERE paused = FALSE");
        ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        long v = rs.getLong(1);
        if (!rs.wasNull()) {
          return OptionalLong.of(v);
        }
      }
      return OptionalLong.empty();
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** The first due time after {@code from}, or never. */
  public static long nextAfter(Timing timing, long from) {
    return timing.next(from).orElse(Long.MAX_VALUE);
  }

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
        c.prepareStatement("SELECT " + COLUMNS + " FROM job_schedule WHERE id = ? FOR UPDATE")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new ScheduleNotFoundException(id);
        }
        return read(rs);
      }
    }
  }

  private static Schedule read(ResultSet rs) throws SQLException {
    return new Schedule(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        JobData.fromJson(rs.getString(4)),
        rs.getString(5),
        rs.getString(6),
        rs.getString(7),
        rs.getBoolean(8),
        Schedule.Overlap.valueOf(rs.getString(9)),
        Schedule.Misfire.valueOf(rs.getString(10)),
        rs.getLong(11),
        nullableLong(rs, 12),
        nullableLong(rs, 13),
        rs.getString(14),
        rs.getLong(15),
        rs.getLong(16),
        rs.getLong(17),
        rs.getString(18),
        rs.getLong(19),
        rs.getLong(20));
  }

  private static Long nullableLong(ResultSet rs, int i) throws SQLException {
    long v = rs.getLong(i);
    return rs.wasNull() ? null : v;
  }

  private Connection transaction() throws SQLException {
    Connection c = dataSource.getConnection();
    try {
      c.setAutoCommit(false);
      return new RollbackOnClose(c).proxy();
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }
}
