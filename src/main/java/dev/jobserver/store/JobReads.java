package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.JobFields;
import dev.jobserver.job.JobPages;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.StoreException;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.sql.DataSource;

/**
 * Reads of many job records for streamed listings (and {@link JobExport}): through database
 * cursors, a page at a time, never a whole list in memory; the statements are {@link JobListSql}'s.
 * Also a job's dependencies.
 */
@ApplicationScoped
public class JobReads {

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
    String sql = JobListSql.chunkSql(p.q, p.fields, p.after, p.offset, want, params);
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false); // PostgreSQL uses a cursor for the fetch size only in a transaction
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        JobListSql.planEachTime(ps);
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
            JobRecord job = JobListSql.record(rs, p.fields);
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
}
