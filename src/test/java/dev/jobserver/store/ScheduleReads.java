package dev.jobserver.store;

import dev.jobserver.schedule.Schedule;
import dev.jobserver.schedule.ScheduleEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Tests' reads of schedules and their events with plain JDBC (the server reads them through JPA,
 * service/ScheduleService), for tests that run without a container.
 */
public final class ScheduleReads {
  private ScheduleReads() {}

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
