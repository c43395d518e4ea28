package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.database.LongStatements;
import dev.jobserver.job.JobEvent;
import dev.jobserver.job.JobFields;
import dev.jobserver.job.JobPages;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.JobResultInfo;
import dev.jobserver.job.JobStatus;
import dev.jobserver.job.StoreException;
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

  /** Rows of a list are read in pages of at most this many... */
  static final int CHUNK_ROWS = 100;

  /**
   * ...and of about this many bytes (as {@link JobRecord#weight} counts them: a job's JSON columns
   * at two bytes a character): a page stops early once it holds this much, and once the list's rows
   * are known to be big, the next page asks for no more rows than fit (always at least one). So a
   * page of jobs with 1 MiB of data each is one job, and a stalled client's response holds about
   * one page.
   */
  static final long CHUNK_BYTES = 1L << 20;

  /**
   * Rows the driver fetches per round trip are sized to about this many bytes, so that a page stops
   * reading when it is full instead of having fetched far ahead: PostgreSQL's driver holds every
   * row of a fetch at once (16 rows of 1 MiB jobs were 16 MiB for one row used).
   */
  static final long FETCH_BYTES = 256L << 10;

  /** Rows of the first fetch of a list, while the size of its rows is not known yet. */
  static final int FIRST_FETCH = 4;

  /**
   * Streams the jobs a query asks for to the sink, page by page (see {@link #pages}): the sink is
   * never called while a connection is held.
   */
  public void list(JobQuery q, JobFields fields, JobPages.Sink sink) throws IOException {
    JobPages pages = pages(q, fields);
    try {
      pages.forEach(pages.next(), sink);
    } catch (StoreException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /**
   * The jobs a query asks for, read a page at a time: each page is read on a connection (in a
   * transaction, on PostgreSQL, only so that the fetch size applies) that is committed and released
   * before the page is handed on, so a client that reads slowly (or stops reading) holds no
   * database connection and no transaction, and memory holds one page at most. Pages follow each
   * other by keyset (the last job's create_at and id), so the jobs and their order are those of one
   * query over the same rows. Nothing is read until the first {@link JobPages#next}.
   */
  public JobPages pages(JobQuery q, JobFields fields) {
    return new Pages(q, fields);
  }

  private final class Pages implements JobPages {
    private final JobQuery q;
    private final JobFields fields;
    private long remaining;
    private long offset;
    private JobQuery.Position after;
    private boolean done;

    /** Rows read so far and their weight: the size of the next page and fetch follows from them. */
    private long rowsSeen;

    private long bytesSeen;

    Pages(JobQuery q, JobFields fields) {
      this.q = q;
      this.fields = fields;
      this.remaining = q.limit() < 0 ? Long.MAX_VALUE : q.limit();
      this.offset = q.offset();
      this.after = q.after();
    }

    @Override
    public List<JobRecord> next() {
      if (done || remaining <= 0) {
        return List.of();
      }
      int want = (int) Math.min(remaining, CHUNK_ROWS);
      if (rowsSeen > 0) {
        want = (int) Math.max(1, Math.min(want, CHUNK_BYTES / Math.max(1, bytesSeen / rowsSeen)));
      }
      List<JobRecord> chunk = new ArrayList<>(Math.min(want, 16));
      boolean full;
      try {
        full = readChunk(this, want, chunk);
        if (fields.results() && !chunk.isEmpty()) {
          // the native view shows each job's dependencies: one read per page
          java.util.Map<String, List<String>> deps =
              dependsOn(chunk.stream().map(JobRecord::id).toList());
          if (!deps.isEmpty()) {
            chunk.replaceAll(j -> deps.containsKey(j.id()) ? j.withDependsOn(deps.get(j.id())) : j);
          }
        }
      } catch (SQLException e) {
        done = true;
        throw StoreException.of("Listing jobs failed", e);
      }
      if (chunk.isEmpty() || (chunk.size() < want && !full)) {
        done = true;
      }
      remaining -= chunk.size();
      offset = 0;
      if (!chunk.isEmpty()) {
        JobRecord last = chunk.get(chunk.size() - 1);
        after = new JobQuery.Position(last.createAt(), last.id());
      }
      return chunk;
    }

    /** Rows per round trip for rows of this weight so far. */
    int fetchSize(int left) {
      if (rowsSeen == 0) {
        return Math.max(1, Math.min(FIRST_FETCH, left));
      }
      long perRow = Math.max(1, bytesSeen / rowsSeen);
      return (int) Math.max(1, Math.min(left, FETCH_BYTES / perRow));
    }
  }

  /**
   * Reads up to {@code want} rows of the next page; returns true if it stopped early because the
   * page was full (more rows may follow). The fetch size follows the weight of the rows read so
   * far.
   */
  private boolean readChunk(Pages p, int want, List<JobRecord> out) throws SQLException {
    List<Object> params = new ArrayList<>();
    String sql = chunkSql(p.q, p.fields, p.after, p.offset, want, params);
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false); // PostgreSQL uses a cursor for the fetch size only in a transaction
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        planEachTime(ps);
        int fetch = p.fetchSize(want);
        ps.setFetchSize(fetch);
        for (int i = 0; i < params.size(); i++) {
          Object param = params.get(i);
          if (param instanceof Long n) {
            ps.setLong(i + 1, n);
          } else {
            ps.setString(i + 1, (String) param);
          }
        }
        long bytes = 0;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            JobRecord job = record(rs, p.fields);
            out.add(job);
            bytes += job.weight();
            p.rowsSeen++;
            p.bytesSeen += job.weight();
            if (bytes >= CHUNK_BYTES && out.size() < want) {
              return true;
            }
            int next = p.fetchSize(want - out.size());
            if (next != fetch) {
              fetch = next;
              rs.setFetchSize(fetch);
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
      JobFields fields,
      JobQuery.Position after,
      long offset,
      int want,
      List<Object> params) {
    String dir = q.newestFirst() ? "DESC" : "ASC";
    // each (type, status) pair is read once, however often the query names it
    List<String> types = List.copyOf(new java.util.LinkedHashSet<>(q.types()));
    List<String> statuses = q.statuses().stream().map(JobStatus::name).distinct().toList();
    int branchCount = Math.max(types.size(), 1) * Math.max(statuses.size(), 1);
    boolean withResults = fields.results();
    StringBuilder sql = new StringBuilder("SELECT ");
    if (branchCount < 2 || branchCount > MAX_BRANCHES || offset > 0) {
      sql.append(columns("j", fields, true));
      if (withResults) {
        sql.append(RESULT_COLUMNS).append(" FROM job j LEFT JOIN job_result r ON r.job_id = j.id");
      } else {
        sql.append(" FROM job j");
      }
      sql.append(" WHERE 1 = 1");
      if (!types.isEmpty()) {
        sql.append(" AND j.type IN (").append(StoreSql.placeholders(types.size())).append(')');
        params.addAll(types);
      }
      if (!statuses.isEmpty()) {
        sql.append(" AND j.status IN (").append(StoreSql.placeholders(statuses.size())).append(')');
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
    sql.append(columns("u", fields, false));
    sql.append(withResults ? RESULT_COLUMNS : "").append(" FROM (SELECT * FROM (");
    boolean first = true;
    for (String type :
        types.isEmpty() ? java.util.Collections.<String>singletonList(null) : types) {
      for (String status :
          statuses.isEmpty() ? java.util.Collections.<String>singletonList(null) : statuses) {
        sql.append(first ? "(" : " UNION ALL (");
        first = false;
        sql.append("SELECT ").append(columns("j", fields, true)).append(" FROM job j WHERE 1 = 1");
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

  /**
   * The job columns, those the fields leave out read as NULL (in the statement that reads the
   * table: {@code source}; the outer statements of a merge name them as the others).
   */
  private static String columns(String alias, JobFields fields, boolean source) {
    StringBuilder b = new StringBuilder();
    for (String column : JOB_COLUMNS) {
      b.append(b.length() == 0 ? "" : ", ");
      boolean skipped =
          (column.equals("data") && !fields.data())
              || (column.equals("stacktrace") && !fields.traces());
      if (skipped && source) {
        b.append("NULL AS ").append(column);
      } else {
        b.append(alias).append('.').append(column);
      }
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

  private static JobRecord record(ResultSet rs, JobFields fields) throws SQLException {
    boolean withResults = fields.results();
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
                    + StoreSql.placeholders(jobIds.size())
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
   * Writes the matching jobs as CSV, oldest first, page by page (see {@link #pages}): no connection
   * or transaction is held while the CSV is written, however long the export takes, and memory
   * holds one page. A job created while the export runs is in it if its page has not been read yet.
   *
   * @return how many jobs were written
   */
  public long exportCsv(
      String type, Collection<JobStatus> statuses, long since, Writer out, BooleanSupplier stop)
      throws SQLException, IOException {
    JobQuery q =
        new JobQuery(
            type == null ? List.of() : List.of(type),
            statuses,
            since,
            null,
            null,
            false,
            null,
            0,
            -1);
    out.write("id,type,status,priority,create_at,start_at,last_activity_at,progress,data\r\n");
    long[] count = {0};
    JobPages pages = pages(q, JobFields.WITHOUT_TRACES);
    List<JobRecord> first;
    try {
      first = pages.next();
    } catch (StoreException e) {
      throw e.getCause() instanceof SQLException s ? s : new SQLException(e.getMessage(), e);
    }
    try {
      pages.forEach(
          first,
          job -> {
            if ((count[0] & 1023) == 0 && stop.getAsBoolean()) {
              throw new IOException("export stopped");
            }
            out.write(csv(job.id()));
            out.write(',');
            out.write(csv(job.type()));
            out.write(',');
            out.write(job.status().name());
            out.write(',');
            out.write(Integer.toString(job.priority()));
            out.write(',');
            out.write(Long.toString(job.createAt()));
            out.write(',');
            out.write(Long.toString(job.startAt()));
            out.write(',');
            out.write(Long.toString(job.lastActivityAt()));
            out.write(',');
            out.write(Integer.toString(job.progress()));
            out.write(',');
            out.write(csv(job.dataJson()));
            out.write("\r\n");
            count[0]++;
          });
    } catch (StoreException e) {
      throw e.getCause() instanceof SQLException s ? s : new SQLException(e.getMessage(), e);
    }
    return count[0];
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
