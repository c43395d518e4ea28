package dev.jobserver.job;

import dev.jobserver.database.JobserverDataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/** Bulk reads and deletes of job records for the built-in export and retention job types. */
@ApplicationScoped
public class JobArchive {

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  /**
   * Writes the matching jobs as CSV, oldest first, streaming rows from the database.
   *
   * @return how many jobs were written
   */
  public long exportCsv(
      String type, Collection<JobStatus> statuses, long since, Writer out, BooleanSupplier stop)
      throws SQLException, IOException {
    StringBuilder sql =
        new StringBuilder(
            "SELECT id, type, status, priority, create_at, start_at, last_activity_at, progress, data"
                + " FROM job WHERE create_at >= ?");
    if (type != null) {
      sql.append(" AND type = ?");
    }
    if (!statuses.isEmpty()) {
      sql.append(" AND status IN (").append(JobQueue.placeholders(statuses.size())).append(')');
    }
    sql.append(" ORDER BY create_at, id");
    out.write("id,type,status,priority,create_at,start_at,last_activity_at,progress,data\r\n");
    long count = 0;
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false); // lets PostgreSQL stream with a fetch size
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        ps.setFetchSize(1000);
        int i = 1;
        ps.setLong(i++, since);
        if (type != null) {
          ps.setString(i++, type);
        }
        for (JobStatus s : statuses) {
          ps.setString(i++, s.name());
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if ((count & 1023) == 0 && stop.getAsBoolean()) {
              throw new IOException("export stopped");
            }
            for (int col = 1; col <= 9; col++) {
              if (col > 1) {
                out.write(',');
              }
              out.write(csv(rs.getString(col)));
            }
            out.write("\r\n");
            count++;
          }
        }
      } finally {
        c.rollback();
        c.setAutoCommit(true);
      }
    }
    return count;
  }

  /** How many finished jobs were created before the cutoff. */
  public long countFinishedBefore(long cutoff) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM job WHERE create_at < ? AND status IN " + finished())) {
      ps.setLong(1, cutoff);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * Deletes up to {@code batch} finished jobs created before the cutoff, with their results and
   * events (the foreign keys cascade), in one transaction.
   *
   * @return how many were deleted
   */
  public int deleteFinishedBefore(long cutoff, int batch) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        List<String> ids = new ArrayList<>();
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT id FROM job WHERE create_at < ? AND status IN "
                    + finished()
                    + " ORDER BY create_at LIMIT ? FOR UPDATE SKIP LOCKED")) {
          ps.setLong(1, cutoff);
          ps.setInt(2, batch);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              ids.add(rs.getString(1));
            }
          }
        }
        if (!ids.isEmpty()) {
          try (PreparedStatement del =
              c.prepareStatement(
                  "DELETE FROM job WHERE id IN (" + JobQueue.placeholders(ids.size()) + ")")) {
            for (int i = 0; i < ids.size(); i++) {
              del.setString(i + 1, ids.get(i));
            }
            del.executeUpdate();
          }
        }
        c.commit();
        return ids.size();
      } finally {
        c.rollback();
        c.setAutoCommit(true);
      }
    }
  }

  private static String finished() {
    StringBuilder b = new StringBuilder("(");
    for (JobStatus s : JobStatus.FINISHED) {
      b.append(b.length() > 1 ? ", '" : "'").append(s.name()).append('\'');
    }
    return b.append(')').toString();
  }

  static String csv(String value) {
    if (value == null) {
      return "";
    }
    if (value.indexOf(',') < 0
        && value.indexOf('"') < 0
        && value.indexOf('\n') < 0
        && value.indexOf('\r') < 0) {
      return value;
    }
    return '"' + value.replace("\"", "\"\"") + '"';
  }
}
