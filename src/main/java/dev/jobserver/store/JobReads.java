package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.JobData;
import dev.jobserver.job.JobStatus;
import dev.jobserver.job.JobSummary;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/**
 * Reads of many job records for streamed listings and the built-in export: through database
 * cursors, one row at a time, never a whole list in memory.
 */
@ApplicationScoped
public class JobReads {

  /** The finished statuses, as an SQL list. */
  static final String FINISHED = finished();

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  /** A consumer that may fail writing its output. */
  public interface Sink {
    void accept(JobSummary job) throws IOException;
  }

  /**
   * @param offset rows to skip
   * @param limit most rows, or -1 for all
   */
  public void forEach(long offset, long limit, Sink sink) throws IOException {
    String sql =
        "SELECT id, type, status, force_run, create_at, stacktrace FROM job"
            + " ORDER BY create_at, id"
            + (limit >= 0 ? " LIMIT ? OFFSET ?" : "");
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false); // PostgreSQL uses a cursor for the fetch size only in a transaction
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setFetchSize(500);
        if (limit >= 0) {
          ps.setLong(1, limit);
          ps.setLong(2, offset);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            sink.accept(
                new JobSummary(
                    rs.getString(1),
                    rs.getString(2),
                    JobStatus.valueOf(rs.getString(3)),
                    rs.getBoolean(4),
                    rs.getLong(5),
                    JobData.listFromJson(rs.getString(6))));
          }
        }
      } finally {
        c.rollback();
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new IOException("Listing jobs failed: " + e.getMessage(), e);
    }
  }

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
      sql.append(" AND status IN (").append(JobStore.placeholders(statuses.size())).append(')');
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
                "SELECT COUNT(*) FROM job WHERE create_at < ? AND status IN " + FINISHED)) {
      ps.setLong(1, cutoff);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
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
