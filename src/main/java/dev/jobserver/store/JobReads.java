package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.JobEvent;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.JobResultInfo;
import dev.jobserver.job.JobStatus;
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

  /** Rows of a list are read in chunks of at most this many... */
  static final int CHUNK_ROWS = 100;

  /** ...and stop early once a chunk holds about this many bytes (but always one row). */
  static final long CHUNK_BYTES = 2L << 20;

  /** Rows fetched per round trip inside a chunk, so that a chunk stops reading when it is full. */
  private static final int FETCH_SIZE = 16;

  private static final String COLUMNS =
      "j.id, j.type, j.priority, j.create_at, j.start_at, j.last_activity_at, j.status, j.progress,"
          + " j.data, j.stacktrace, j.force_run, j.created_by, j.attempt, j.max_attempts,"
          + " j.run_after";

  /** A consumer of listed jobs that may fail writing its output. */
  public interface Sink {
    void accept(JobRecord job) throws IOException;
  }

  /**
   * Streams the jobs a query asks for to the sink, in chunks: each chunk is read on a connection
   * that is released before its rows are handed on, so a client that reads slowly (or stops
   * reading) holds no database connection and no transaction, and memory holds one chunk at most.
   *
   * @param withResults each job comes with its result file's description, if it has one
   */
  public void list(JobQuery q, boolean withResults, Sink sink) throws IOException {
    long remaining = q.limit() < 0 ? Long.MAX_VALUE : q.limit();
    long offset = q.offset();
    JobQuery.Position after = q.after();
    while (remaining > 0) {
      int want = (int) Math.min(remaining, CHUNK_ROWS);
      List<JobRecord> chunk = new ArrayList<>(want);
      boolean full;
      try {
        full = readChunk(q, withResults, after, offset, want, chunk);
      } catch (SQLException e) {
        throw new IOException("Listing jobs failed: " + e.getMessage(), e);
      }
      for (JobRecord job : chunk) {
        sink.accept(job);
      }
      if (chunk.isEmpty() || (chunk.size() < want && !full)) {
        return;
      }
      remaining -= chunk.size();
      offset = 0;
      JobRecord last = chunk.get(chunk.size() - 1);
      after = new JobQuery.Position(last.createAt(), last.id());
    }
  }

  /**
   * Reads up to {@code want} rows; returns true if it stopped early because the chunk was full
   * (more rows may follow).
   */
  private boolean readChunk(
      JobQuery q,
      boolean withResults,
      JobQuery.Position after,
      long offset,
      int want,
      List<JobRecord> out)
      throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS);
    if (withResults) {
      sql.append(", r.file_name, r.content_type, r.size, r.created_at FROM job j")
          .append(" LEFT JOIN job_result r ON r.job_id = j.id");
    } else {
      sql.append(" FROM job j");
    }
    sql.append(" WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (!q.types().isEmpty()) {
      sql.append(" AND j.type IN (").append(JobStore.placeholders(q.types().size())).append(')');
      params.addAll(q.types());
    }
    if (!q.statuses().isEmpty()) {
      sql.append(" AND j.status IN (")
          .append(JobStore.placeholders(q.statuses().size()))
          .append(')');
      q.statuses().forEach(st -> params.add(st.name()));
    }
    if (q.createdAfter() != null) {
      sql.append(" AND j.create_at >= ?");
      params.add(q.createdAfter());
    }
    if (q.createdBefore() != null) {
      sql.append(" AND j.create_at < ?");
      params.add(q.createdBefore());
    }
    if (q.idPrefix() != null) {
      sql.append(" AND j.id LIKE ? ESCAPE '!'");
      params.add(q.idPrefix().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
    }
    String dir = q.newestFirst() ? "DESC" : "ASC";
    if (after != null) {
      String cmp = q.newestFirst() ? "<" : ">";
      sql.append(" AND (j.create_at ")
          .append(cmp)
          .append(" ? OR (j.create_at = ? AND j.id ")
          .append(cmp)
          .append(" ?))");
      params.add(after.createAt());
      params.add(after.createAt());
      params.add(after.id());
    }
    sql.append(" ORDER BY j.create_at ").append(dir).append(", j.id ").append(dir);
    sql.append(" LIMIT ?");
    params.add((long) want);
    if (offset > 0) {
      sql.append(" OFFSET ?");
      params.add(offset);
    }
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false); // PostgreSQL uses a cursor for the fetch size only in a transaction
      try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
        ps.setFetchSize(FETCH_SIZE);
        for (int i = 0; i < params.size(); i++) {
          Object p = params.get(i);
          if (p instanceof Long n) {
            ps.setLong(i + 1, n);
          } else {
            ps.setString(i + 1, (String) p);
          }
        }
        long bytes = 0;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            JobRecord job = record(rs, withResults);
            out.add(job);
            bytes += job.weight();
            if (bytes >= CHUNK_BYTES && out.size() < want) {
              return true;
            }
          }
        }
        return false;
      } finally {
        c.rollback();
        c.setAutoCommit(true);
      }
    }
  }

  private static JobRecord record(ResultSet rs, boolean withResults) throws SQLException {
    String id = rs.getString(1);
    JobResultInfo result = null;
    if (withResults && rs.getString(16) != null) {
      result =
          new JobResultInfo(id, rs.getString(16), rs.getString(17), rs.getLong(18), rs.getLong(19));
    }
    return new JobRecord(
        id,
        rs.getString(2),
        rs.getInt(3),
        rs.getLong(4),
        rs.getLong(5),
        rs.getLong(6),
        JobStatus.valueOf(rs.getString(7)),
        rs.getInt(8),
        rs.getString(9),
        rs.getString(10),
        rs.getBoolean(11),
        rs.getString(12),
        rs.getInt(13),
        rs.getInt(14),
        rs.getLong(15),
        result);
  }

  /** A job's status changes, oldest first. */
  public List<JobEvent> events(String jobId) throws SQLException {
    List<JobEvent> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT at, actor, old_status, new_status, message FROM job_event"
                    + " WHERE job_id = ? ORDER BY id")) {
      ps.setString(1, jobId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String from = rs.getString(3);
          out.add(
              new JobEvent(
                  rs.getLong(1),
                  rs.getString(2),
                  from == null ? null : JobStatus.valueOf(from),
                  JobStatus.valueOf(rs.getString(4)),
                  rs.getString(5)));
        }
      }
    }
    return out;
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
