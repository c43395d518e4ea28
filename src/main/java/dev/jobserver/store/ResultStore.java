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

  /** Starts (or restarts) a job's result; bytes go to the database chunk by chunk. */
  public OutputStream open(String jobId, String fileName, String contentType) {
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement del = c.prepareStatement("DELETE FROM job_result WHERE job_id = ?")) {
        del.setString(1, jobId);
        del.executeUpdate();
      }
      try (PreparedStatement ins =
          c.prepareStatement(
              "INSERT INTO job_result (job_id, file_name, content_type, size, created_at)"
                  + " VALUES (?, ?, ?, 0, ?)")) {
        ins.setString(1, jobId);
        ins.setString(2, fileName);
        ins.setString(3, contentType);
        ins.setLong(4, System.currentTimeMillis());
        ins.executeUpdate();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot start the result of job " + jobId, e);
    }
    return new ChunkOutput(jobId);
  }

  /** Writes bytes {@code [from, to]} (inclusive) of a job's result to {@code out}. */
  public void copy(String jobId, long from, long to, OutputStream out) throws IOException {
    int firstChunk = (int) (from / CHUNK);
    int lastChunk = (int) (to / CHUNK);
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false); // PostgreSQL streams rows with a fetch size only inside a transaction
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT seq, content FROM job_result_chunk WHERE job_id = ? AND seq BETWEEN ? AND ?"
                  + " ORDER BY seq")) {
        ps.setFetchSize(1);
        ps.setString(1, jobId);
        ps.setInt(2, firstChunk);
        ps.setInt(3, lastChunk);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long chunkStart = (long) rs.getInt(1) * CHUNK;
            byte[] bytes = rs.getBytes(2);
            int start = (int) Math.max(0, from - chunkStart);
            int end = (int) Math.min(bytes.length, to - chunkStart + 1);
            if (end > start) {
              out.write(bytes, start, end - start);
            }
          }
        }
      } finally {
        c.rollback();
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new IOException("Cannot read the result of job " + jobId + ": " + e.getMessage(), e);
    }
  }

  private final class ChunkOutput extends OutputStream {
    private final String jobId;
    private final byte[] buffer = new byte[CHUNK];
    private int filled;
    private int seq;
    private long size;
    private boolean closed;

    ChunkOutput(String jobId) {
      this.jobId = jobId;
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
                  "UPDATE job_result SET size = ?, created_at = ? WHERE job_id = ?")) {
        ps.setLong(1, size);
        ps.setLong(2, System.currentTimeMillis());
        ps.setString(3, jobId);
        ps.executeUpdate();
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
                  "INSERT INTO job_result_chunk (job_id, seq, content) VALUES (?, ?, ?)")) {
        ps.setString(1, jobId);
        ps.setInt(2, seq);
        byte[] chunk = filled == CHUNK ? buffer : java.util.Arrays.copyOf(buffer, filled);
        ps.setBytes(3, chunk);
        ps.executeUpdate();
        size += filled;
        seq++;
        filled = 0;
      } catch (SQLException e) {
        throw new IOException("Cannot write the result of job " + jobId, e);
      }
    }
  }
}
