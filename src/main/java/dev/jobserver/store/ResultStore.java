package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.JobResultInfo;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Result files, stored as fixed-size chunks so that writing and reading (whole or a Range) keep
 * memory flat on every database and every instance of a cluster can serve them.
 */
@ApplicationScoped
public class ResultStore {

  /** Removes a job's result (a failed, canceled or superseded run's). */
  static final String DISCARD = "DELETE FROM job_result WHERE job_id = ?";

  public static final int CHUNK = 256 * 1024;

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  public ResultStore() {}

  private ResultStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Results on the given data source (tests). */
  public static ResultStore over(DataSource dataSource) {
    return new ResultStore(dataSource);
  }

  public Optional<JobResultInfo> info(String jobId) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT file_name, content_type, size, created_at FROM job_result WHERE job_id = ?")) {
      ps.setString(1, jobId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(
                new JobResultInfo(
                    jobId, rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4)))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot read the result of job " + jobId, e);
    }
  }

  /** The run that owns a job now, as the fence on its result's writes. */
  private static final String OWNED =
      "SELECT 1 FROM job WHERE id = ? AND attempt = ? AND lease_owner = ?"
          + " AND status IN "
          + RunLedger.RUNNING_STATES;

  /**
   * Starts (or restarts) a job's result for one run; bytes go to the database chunk by chunk. Only
   * the job's current run may write it: once the run is superseded (requeued, canceled, taken over)
   * every further write of it fails.
   *
   * @param attempt the run's attempt; the job must be RUNNING this attempt for {@code owner}
   * @throws IllegalStateException if the run no longer owns the job
   */
  public OutputStream open(
      String jobId, int attempt, String owner, String fileName, String contentType) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        try (PreparedStatement own = c.prepareStatement(OWNED + " FOR UPDATE")) {
          own.setString(1, jobId);
          own.setInt(2, attempt);
          own.setString(3, owner);
          try (ResultSet rs = own.executeQuery()) {
            if (!rs.next()) {
              throw new IllegalStateException(superseded(jobId, attempt));
            }
          }
        }
        try (PreparedStatement del = c.prepareStatement(DISCARD)) {
          del.setString(1, jobId);
          del.executeUpdate();
        }
        try (PreparedStatement ins =
            c.prepareStatement(
                "INSERT INTO job_result (job_id, attempt, file_name, content_type, size,"
                    + " created_at) VALUES (?, ?, ?, ?, 0, ?)")) {
          ins.setString(1, jobId);
          ins.setInt(2, attempt);
          ins.setString(3, Text.column(fileName, 255));
          ins.setString(4, Text.column(contentType, 255));
          ins.setLong(5, System.currentTimeMillis());
          ins.executeUpdate();
        }
        c.commit();
      } finally {
        c.rollback();
        c.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot start the result of job " + jobId, e);
    }
    return new ChunkOutput(jobId, attempt, owner);
  }

  private static String superseded(String jobId, int attempt) {
    return "Run "
        + attempt
        + " of job "
        + jobId
        + " no longer owns the job (requeued, canceled or taken over): its result is not written";
  }

  /**
   * Writes bytes {@code [from, to]} (inclusive) of a job's result to {@code out}, one stored chunk
   * (256 KiB) at a time: each is read on a connection that is released before its bytes are
   * written, so a client that downloads slowly, or stops reading, holds no database connection and
   * no transaction, and memory holds one chunk. Every chunk is read from the result described by
   * {@code info} (its creation time): if the result is replaced or removed meanwhile (the job was
   * retried and ran again, or was deleted), the copy fails rather than mix two files.
   *
   * @throws IOException if the result changed or the database failed; bytes may have been written
   */
  public void copy(JobResultInfo info, long from, long to, OutputStream out) throws IOException {
    String jobId = info.jobId();
    int lastChunk = (int) (to / CHUNK);
    for (int seq = (int) (from / CHUNK); seq <= lastChunk; seq++) {
      byte[] bytes = chunk(info, seq);
      long chunkStart = (long) seq * CHUNK;
      int start = (int) Math.max(0, from - chunkStart);
      int end = (int) Math.min(bytes.length, to - chunkStart + 1);
      if (end > start) {
        out.write(bytes, start, end - start);
      }
    }
  }

  /** One chunk of the result {@code info} describes, read on its own connection. */
  private byte[] chunk(JobResultInfo info, int seq) throws IOException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT k.content FROM job_result_chunk k JOIN job_result r ON r.job_id = k.job_id"
                    + " WHERE k.job_id = ? AND k.seq = ? AND r.created_at = ? AND r.size = ?")) {
      ps.setString(1, info.jobId());
      ps.setInt(2, seq);
      ps.setLong(3, info.createdAt());
      ps.setLong(4, info.size());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IOException(
              "The result of job "
                  + info.jobId()
                  + " was replaced or removed during the download (chunk "
                  + seq
                  + ")");
        }
        return rs.getBytes(1);
      }
    } catch (SQLException e) {
      throw new IOException(
          "Cannot read the result of job " + info.jobId() + ": " + e.getMessage(), e);
    }
  }

  private final class ChunkOutput extends OutputStream {
    private final String jobId;
    private final int attempt;
    private final String owner;
    private final byte[] buffer = new byte[CHUNK];
    private int filled;
    private int seq;
    private long size;
    private boolean closed;

    ChunkOutput(String jobId, int attempt, String owner) {
      this.jobId = jobId;
      this.attempt = attempt;
      this.owner = owner;
    }

    @Override
    public void write(int b) throws IOException {
      ensureOpen();
      buffer[filled++] = (byte) b;
      if (filled == CHUNK) {
        flushChunk();
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      ensureOpen();
      while (len > 0) {
        int n = Math.min(len, CHUNK - filled);
        System.arraycopy(b, off, buffer, filled, n);
        filled += n;
        off += n;
        len -= n;
        if (filled == CHUNK) {
          flushChunk();
        }
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      if (filled > 0) {
        flushChunk();
      }
      closed = true;
      try (Connection c = dataSource.getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE job_result SET size = ?, created_at = ? WHERE job_id = ? AND attempt = ?"
                      + " AND EXISTS ("
                      + OWNED
                      + ")")) {
        ps.setLong(1, size);
        ps.setLong(2, System.currentTimeMillis());
        ps.setString(3, jobId);
        ps.setInt(4, attempt);
        ps.setString(5, jobId);
        ps.setInt(6, attempt);
        ps.setString(7, owner);
        if (ps.executeUpdate() == 0) {
          throw new IOException(superseded(jobId, attempt));
        }
      } catch (SQLException e) {
        throw new IOException("Cannot finish the result of job " + jobId, e);
      }
    }

    private void ensureOpen() throws IOException {
      if (closed) {
        throw new IOException("The result of job " + jobId + " is closed");
      }
    }

    private void flushChunk() throws IOException {
      try (Connection c = dataSource.getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO job_result_chunk (job_id, seq, content) SELECT job_id, ?, ?"
                      + " FROM job_result WHERE job_id = ? AND attempt = ? AND EXISTS ("
                      + OWNED
                      + ")")) {
        byte[] chunk = filled == CHUNK ? buffer : java.util.Arrays.copyOf(buffer, filled);
        ps.setInt(1, seq);
        ps.setBytes(2, chunk);
        ps.setString(3, jobId);
        ps.setInt(4, attempt);
        ps.setString(5, jobId);
        ps.setInt(6, attempt);
        ps.setString(7, owner);
        if (ps.executeUpdate() == 0) {
          closed = true;
          throw new IOException(superseded(jobId, attempt));
        }
        size += filled;
        seq++;
        filled = 0;
      } catch (SQLException e) {
        throw new IOException("Cannot write the result of job " + jobId, e);
      }
    }
  }
}
