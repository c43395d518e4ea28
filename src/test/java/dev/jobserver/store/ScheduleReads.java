package dev.jobserver.store;

import dev.jobserver.job.JobData;
import dev.jobserver.schedule.Schedule;
import dev.jobserver.schedule.ScheduleEvent;
import dev.jobserver.schedule.StoredScheduleEvent;
import dev.jobserver.schedule.Timing;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Tests' reads and writes of schedules and their events with plain JDBC (the server reads and
 * writes them through JPA, service/ScheduleService), for tests that run without a container.
 */
public final class ScheduleReads {
  private ScheduleReads() {}

  /** Stores a new schedule as the service does (counts zero), with its "create" event. */
  public static void insert(DataSource ds, Schedule s) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO job_schedule (id, name, type, data, cron, every, every_ms,"
                    + " time_zone, paused, overlap, misfire, next_run_at, fired, skipped, missed,"
                    + " created_by, created_at, updated_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?)");
        PreparedStatement ev = c.prepareStatement(StoredScheduleEvent.INSERT)) {
      int i = 1;
      ps.setString(i++, s.id());
      ps.setString(i++, s.name());
      ps.setString(i++, s.type());
      ps.setString(i++, JobData.toJson(s.data()));
      ps.setString(i++, s.cron());
      ps.setString(i++, s.every());
      ps.setObject(i++, s.every() == null ? null : Timing.parseEvery(s.every()).toMillis());
      ps.setString(i++, s.timeZone());
      ps.setBoolean(i++, s.paused());
      ps.setString(i++, s.overlap().name());
      ps.setString(i++, s.misfire().name());
      ps.setLong(i++, s.nextRunAt());
      ps.setString(i++, s.createdBy());
      ps.setLong(i++, s.createdAt());
      ps.setLong(i, s.updatedAt());
      ps.executeUpdate();
      ev.setString(1, s.id());
      ev.setLong(2, s.createdAt());
      ev.setString(3, s.createdBy());
      ev.setString(4, "create");
      ev.setString(5, null);
      ev.executeUpdate();
    }
  }

  public static Optional<Schedule> get(DataSource ds, String id) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT " + ScheduleRows.COLUMNS + " FROM job_schedule WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(ScheduleRows.read(rs)) : Optional.empty();
      }
    }
  }

  public static List<ScheduleEvent> events(DataSource ds, String id) throws SQLException {
    List<ScheduleEvent> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
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
}
