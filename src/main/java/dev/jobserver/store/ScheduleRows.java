package dev.jobserver.store;

import dev.jobserver.job.JobData;
import dev.jobserver.schedule.Schedule;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/** A schedule's row as {@link ScheduleFirings} reads it (and tests, without a container). */
final class ScheduleRows {

  private ScheduleRows() {}

  static final String COLUMNS =
      "id, name, type, data, cron, every, time_zone, paused, overlap, misfire, next_run_at,"
          + " last_due_at, last_run_at, last_job_id, fired, skipped, missed, created_by,"
          + " created_at, updated_at";

  static Schedule read(ResultSet rs) throws SQLException {
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

  /** A connection in a local transaction, rolled back when closed uncommitted. */
  static Connection transaction(DataSource dataSource) throws SQLException {
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
