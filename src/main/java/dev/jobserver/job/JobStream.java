package dev.jobserver.job;

import dev.jobserver.database.JobserverDataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Reads every job (or one page) oldest first through a database cursor, one row at a time. */
@ApplicationScoped
public class JobStream {

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
}
