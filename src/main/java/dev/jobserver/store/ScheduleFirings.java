package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobStatus;
import dev.jobserver.schedule.Firing;
import dev.jobserver.schedule.InvalidScheduleException;
import dev.jobserver.schedule.Schedule;
import dev.jobserver.schedule.ScheduleNotFoundException;
import dev.jobserver.schedule.StoredScheduleEvent;
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
import java.util.OptionalLong;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The firing of schedules ({@code job_schedule}), in SQL. A firing claims due schedules with {@code
 * FOR UPDATE SKIP LOCKED}, and in the same transaction creates their jobs (through {@link
 * JobStore}'s native creates, under the unique {@code (schedule_id, due_at)} key) and advances
 * them: whichever instance fires a due time, it makes one job, and a crash between the two is
 * impossible. A trigger (a firing by hand) is the same: the row locked, the job created and the row
 * and its event written in one transaction. The callers' other changes to a schedule go through JPA
 * ({@code service.ScheduleService}, {@code schedule.StoredSchedule}).
 */
@ApplicationScoped
public class ScheduleFirings {

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

  public ScheduleFirings() {}

  private ScheduleFirings(DataSource dataSource, JobStore jobs) {
    this.dataSource = dataSource;
    this.jobs = jobs;
  }

  /** Firing on the given data source (tests). */
  public static ScheduleFirings over(DataSource dataSource, JobStore jobs) {
    return new ScheduleFirings(dataSource, jobs);
  }

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
                  + ScheduleRows.COLUMNS
                  + " FROM job_schedule WHERE paused = FALSE AND next_run_at <= ?"
                  + " ORDER BY next_run_at LIMIT ? FOR UPDATE SKIP LOCKED")) {
        ps.setLong(1, now);
        ps.setInt(2, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            due.add(ScheduleRows.read(rs));
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

  /**
   * Creates the schedule's job now, whatever its overlap or pause (the caller asked for it); its
   * next due time stays. The job's "created" event is by {@code schedule:<id>}, the trigger by the
   * caller.
   *
   * @throws ScheduleNotFoundException if there is no such schedule
   */
  public Job trigger(String id, String actor, long now, JobMaker maker) throws SQLException {
    try (Connection c = transaction()) {
      Schedule s;
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT " + ScheduleRows.COLUMNS + " FROM job_schedule WHERE id = ? FOR UPDATE")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new ScheduleNotFoundException(id);
          }
          s = ScheduleRows.read(rs);
        }
      }
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
      try (PreparedStatement ps = c.prepareStatement(StoredScheduleEvent.INSERT)) {
        ps.setString(1, id);
        ps.setLong(2, now);
        ps.setString(
            3, Text.column(actor == null ? "anonymous" : actor, StoredScheduleEvent.MAX_ACTOR));
        ps.setString(4, "trigger");
        ps.setString(5, "job " + job.getId());
        ps.executeUpdate();
      }
      c.commit();
      committed.run();
      return job;
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

  private Connection transaction() throws SQLException {
    return ScheduleRows.transaction(dataSource);
  }
}
