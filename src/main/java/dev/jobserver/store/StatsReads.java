package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.JobStatus;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Reads of the counters the store keeps in the transaction of every change ({@code job_count},
 * {@code job_minute}): stats and metrics at the cost of a few small rows, whatever the size of the
 * job table.
 */
@ApplicationScoped
public class StatsReads {

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  public StatsReads() {}

  private StatsReads(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Reads on the given data source (tests). */
  public static StatsReads over(DataSource dataSource) {
    return new StatsReads(dataSource);
  }

  /** Runs that ended in a span of time, of one type. */
  public record Runs(long finished, long failed, long runMillis, long runs) {

    /** Mean run time of the runs that ran (a job canceled while waiting did not), 0 if none. */
    public long averageRunMillis() {
      return runs == 0 ? 0 : Math.round((double) runMillis / runs);
    }
  }

  /** Jobs by type and status now (types in name order; statuses absent have none). */
  public Map<String, Map<JobStatus, Long>> counts() throws SQLException {
    Map<String, Map<JobStatus, Long>> out = new TreeMap<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT type, status, SUM(n) FROM job_count GROUP BY type, status"
                    + " HAVING SUM(n) <> 0");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.computeIfAbsent(rs.getString(1), t -> new EnumMap<>(JobStatus.class))
            .put(JobStatus.valueOf(rs.getString(2)), rs.getLong(3));
      }
    }
    return out;
  }

  /** Runs that ended from {@code fromMillis} on (counted by the minute they ended in), by type. */
  public Map<String, Runs> runsSince(long fromMillis) throws SQLException {
    Map<String, Runs> out = new TreeMap<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT type, SUM(finished), SUM(failed), SUM(run_ms), SUM(runs) FROM job_minute"
                    + " WHERE at_minute >= ? GROUP BY type")) {
      ps.setLong(1, Math.floorDiv(fromMillis, 60_000L));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(
              rs.getString(1),
              new Runs(rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)));
        }
      }
    }
    return out;
  }
}
