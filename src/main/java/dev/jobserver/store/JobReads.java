package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.database.LongStatements;
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
import org.postgresql.PGStatement;

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

  public JobReads() {}

  private JobReads(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Reads on the given data source (tests). */
  public static JobReads over(DataSource dataSource) {
    return new JobReads(dataSource);
  }

  /** Rows of a list are read in chunks of at most this many... */
  static final int CHUNK_ROWS = 100;

  /** ...and stop early once a chunk holds about this many bytes (but always one row). */
  static final long CHUNK_BYTES = 2L << 20;

  /** Rows fetched per round trip inside a chunk, so that a chunk stops reading when it is full. */
  private static final int FETCH_SIZE = 16;

  /** A consumer of listed jobs that may fail writing its output. */
  public interface Sink {
    void accept(JobRecord job) throws IOException;
  }

  /**
   * Streams the jobs a query asks for to the sink, in chunks: each chunk is read on a connection
   * that is released before its rows are handed on, so a client that reads slowly (or stops
   * reading) holds no database connection and no transaction, and memory holds one chunk at most.
   *
   * @param withResults each job comes with its result file's description, if it has one, and the
   *     ids of the jobs it depends on (the native view)
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
      if (withResults && !chunk.isEmpty()) {
        // the native view shows each job's dependencies: one read per chunk
        java.util.Map<String, List<String>> deps;
        try {
          deps = dependsOn(chunk.stream().map(JobRecord::id).toList());
        } catch (SQLException e) {
          throw new IOException("Listing jobs failed: " + e.getMessage(), e);
        }
        if (!deps.isEmpty()) {
          chunk.replaceAll(j -> deps.containsKey(j.id()) ? j.withDependsOn(deps.get(j.id())) : j);
        }
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
    List<Object> params = new ArrayList<>();
    String sql = chunkSql(q, withResults, after, offset, want, params);
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false); // PostgreSQL uses a cursor for the fetch size only in a transaction
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        planEachTime(ps);
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

  /** Most (type, status) pairs a query is split into (see {@link #chunkSql}). */
  static final int MAX_BRANCHES = 64;

  /**
   * The statement that reads one chunk. A filter on several types or statuses is split into one
   * branch per (type, status) pair, each an index range scan in list order with its own limit,
   * merged by a UNION ALL: {@code type IN (..) AND status IN (..) ORDER BY create_at} would read
   * and sort every matching row, whereas each branch reads at most a chunk, at any depth of the
   * keyset (the indexes {@code (type, status, create_at, id)}, {@code (type, create_at, id)} and
   * {@code (status, create_at, id)} serve them).
   */
  static String chunkSql(
      JobQuery q,
      boolean withResults,
      JobQuery.Position after,
      long offset,
      int want,
      List<Object> params) {
    String dir = q.newestFirst() ? "DESC" : "ASC";
    List<String> types = List.copyOf(q.types());
    List<String> statuses = q.statuses().stream().map(JobStatus::name).toList();
    int branchCount = Math.max(types.size(), 1) * Math.max(statuses.size(), 1);
    StringBuilder sql = new StringBuilder("SELECT ");
    if (branchCount < 2 || branchCount > MAX_BRANCHES || offset > 0) {
      sql.append(columns("j"));
      if (withResults) {
        sql.append(RESULT_COLUMNS).append(" FROM job j LEFT JOIN job_result r ON r.job_id = j.id");
      } else {
        sql.append(" FROM job j");
      }
      sql.append(" WHERE 1 = 1");
      if (!types.isEmpty()) {
        sql.append(" AND j.type IN (").append(JobStore.placeholders(types.size())).append(')');
        params.addAll(types);
      }
      if (!statuses.isEmpty()) {
        sql.append(" AND j.status IN (").append(JobStore.placeholders(statuses.size())).append(')');
        params.addAll(statuses);
      }
      common(sql, q, after, params);
      sql.append(" ORDER BY j.create_at ").append(dir).append(", j.id ").append(dir);
      sql.append(" LIMIT ?");
      params.add((long) want);
      if (offset > 0) {
        sql.append(" OFFSET ?");
        params.add(offset);
      }
      return sql.toString();
    }
    sql.append(columns("u"));
    sql.append(withResults ? RESULT_COLUMNS : "").append(" FROM (SELECT * FROM (");
    boolean first = true;
    for (String type :
        types.isEmpty() ? java.util.Collections.<String>singletonList(null) : types) {
      for (String status :
          statuses.isEmpty() ? java.util.Collections.<String>singletonList(null) : statuses) {
        sql.append(first ? "(" : " UNION ALL (");
        first = false;
        sql.append("SELECT ").append(columns("j")).append(" FROM job j WHERE 1 = 1");
        if (type != null) {
          sql.append(" AND j.type = ?");
          params.add(type);
        }
        if (status != null) {
          sql.append(" AND j.status = ?");
          params.add(status);
        }
        common(sql, q, after, params);
        sql.append(" ORDER BY j.create_at ").append(dir).append(", j.id ").append(dir);
        sql.append(" LIMIT ?)");
        params.add((long) want);
      }
    }
    sql.append(") b ORDER BY b.create_at ").append(dir).append(", b.id ").append(dir);
    sql.append(" LIMIT ?) u");
    params.add((long) want);
    if (withResults) {
      sql.append(" LEFT JOIN job_result r ON r.job_id = u.id");
    }
    sql.append(" ORDER BY u.create_at ").append(dir).append(", u.id ").append(dir);
    return sql.toString();
  }

  /**
   * The conditions every branch shares: the time range, the id prefix, and the keyset position. The
   * position is written {@code create_at <= ? AND (create_at < ? OR id < ?)} rather than as the
   * plain OR, so that its first part bounds the index range: a page deep in the list is read from
   * its place in the index, not by walking past every newer row.
   */
  private static void common(
      StringBuilder sql, JobQuery q, JobQuery.Position after, List<Object> params) {
    if (q.createdAfter() != null) {
      sql.append(" AND j.create_at >= ?");
      params.add(q.createdAfter());
    }
    if (q.createdBefore() != null) {
      sql.append(" AND j.create_at < ?");
      params.add(q.createdBefore());
    }
    if (q.scheduleId() != null) {
      sql.append(" AND j.schedule_id = ?");
      params.add(q.scheduleId());
    }
    if (q.idPrefix() != null) {
      sql.append(" AND j.id LIKE ? ESCAPE '!'");
      params.add(q.idPrefix().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
    }
    if (after != null) {
      String cmp = q.newestFirst() ? "<" : ">";
      sql.append(" AND j.create_at ")
          .append(cmp)
          .append("= ? AND (j.create_at ")
          .append(cmp)
          .append(" ? OR j.id ")
          .append(cmp)
          .append(" ?)");
      params.add(after.createAt());
      params.add(after.createAt());
      params.add(after.id());
    }
  }

  private static final String[] JOB_COLUMNS = {
    "id",
    "type",
    "priority",
    "create_at",
    "start_at",
    "last_activity_at",
    "status",
    "progress",
    "data",
    "stacktrace",
    "force_run",
    "created_by",
    "attempt",
    "max_attempts",
    "run_after",
    "schedule_id",
    "due_at"
  };

  private static final String RESULT_COLUMNS =
      ", r.file_name, r.content_type, r.size, r.created_at";

  private static String columns(String alias) {
    StringBuilder b = new StringBuilder();
    for (String column : JOB_COLUMNS) {
      b.append(b.length() == 0 ? "" : ", ").append(alias).append('.').append(column);
    }
    return b.toString();
  }

  /**
   * On PostgreSQL, a list statement is planned for its values each time rather than from a cached
   * generic plan: a generic plan made while the table was small stays a scan and sort as the table
   * grows (DESIGN.md, known pitfalls), and the best branch plan depends on how common the type or
   * status asked for is.
   */
  private static void planEachTime(PreparedStatement ps) throws SQLException {
    if (ps.isWrapperFor(PGStatement.class)) {
      ps.unwrap(PGStatement.class).setPrepareThreshold(0);
    }
  }

  private static JobRecord record(ResultSet rs, boolean withResults) throws SQLException {
    String id = rs.getString(1);
    JobResultInfo result = null;
    int r = JOB_COLUMNS.length + 1;
    if (withResults && rs.getString(r) != null) {
      result =
          new JobResultInfo(
              id, rs.getString(r), rs.getString(r + 1), rs.getLong(r + 2), rs.getLong(r + 3));
    }
    long due = rs.getLong(17);
    Long dueAt = rs.wasNull() ? null : due;
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
        result,
        rs.getString(16),
        dueAt,
        List.of());
  }

  /** The ids of the jobs this one depends on, as created (empty: none). */
  public List<String> dependsOn(String jobId) throws SQLException {
    return dependsOn(List.of(jobId)).getOrDefault(jobId, List.of());
  }

  /** The ids each of these jobs depends on, in one read (jobs without any are absent). */
  public java.util.Map<String, List<String>> dependsOn(Collection<String> jobIds)
      throws SQLException {
    java.util.Map<String, List<String>> out = new java.util.HashMap<>();
    if (jobIds.isEmpty()) {
      return out;
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT job_id, depends_on FROM job_dependency WHERE job_id IN ("
                    + JobStore.placeholders(jobIds.size())
                    + ") ORDER BY job_id, depends_on")) {
      int i = 1;
      for (String id : jobIds) {
        ps.setString(i++, id);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
        }
      }
    }
    return out;
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
    try (Connection c = dataSource.getConnection();
        LongStatements longer = LongStatements.on(c)) {
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
        LongStatements longer = LongStatements.on(c);
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
