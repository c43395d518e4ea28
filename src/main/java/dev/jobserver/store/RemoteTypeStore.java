package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The only writer of {@code remote_type}: the job types that workers elsewhere run (declared by an
 * administrator; no handler in the WAR implements them).
 */
@ApplicationScoped
public class RemoteTypeStore {

  /** A declared remote type (times in ms). */
  public record Row(
      String name, long timeoutMs, int maxAttempts, long backoffMs, int maxConcurrent) {}

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  public RemoteTypeStore() {}

  private RemoteTypeStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  public static RemoteTypeStore over(DataSource dataSource) {
    return new RemoteTypeStore(dataSource);
  }

  /** Every remote type, by name. */
  public List<Row> all() throws SQLException {
    List<Row> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT name, timeout_ms, max_attempts, backoff_ms, max_concurrent"
                    + " FROM remote_type ORDER BY name");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Row(rs.getString(1), rs.getLong(2), rs.getInt(3), rs.getLong(4), rs.getInt(5)));
      }
    }
    return out;
  }

  /** Creates or replaces the type. */
  public void put(Row type, String actor) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        int updated;
        try (PreparedStatement ps =
            c.prepareStatement(
                "UPDATE remote_type SET timeout_ms = ?, max_attempts = ?, backoff_ms = ?,"
                    + " max_concurrent = ?, updated_by = ?, updated_at = ? WHERE name = ?")) {
          bind(ps, type, actor);
          updated = ps.executeUpdate();
        }
        if (updated == 0) {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO remote_type (timeout_ms, max_attempts, backoff_ms, max_concurrent,"
                      + " updated_by, updated_at, name) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            bind(ps, type, actor);
            ps.executeUpdate();
          }
        }
        c.commit();
      } finally {
        if (!c.getAutoCommit()) {
          c.rollback();
          c.setAutoCommit(true);
        }
      }
    }
  }

  private static void bind(PreparedStatement ps, Row type, String actor) throws SQLException {
    ps.setLong(1, type.timeoutMs());
    ps.setInt(2, type.maxAttempts());
    ps.setLong(3, type.backoffMs());
    ps.setInt(4, type.maxConcurrent());
    ps.setString(5, Text.column(actor, 255));
    ps.setLong(6, System.currentTimeMillis());
    ps.setString(7, type.name());
  }

  /** What a delete did. */
  public enum Deleted {
    DELETED,
    NOT_FOUND,
    /** Jobs of the type are not finished yet: it stays. */
    IN_USE
  }

  /** Deletes the type unless unfinished jobs of it exist. */
  public Deleted delete(String name) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        // the type's row, locked: a claim of it (which locks it too) waits for the delete
        try (PreparedStatement ps =
            c.prepareStatement("SELECT name FROM remote_type WHERE name = ? FOR UPDATE")) {
          ps.setString(1, name);
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              return Deleted.NOT_FOUND;
            }
          }
        }
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT id FROM job WHERE type = ? AND status IN"
                    + " ('PENDING', 'BLOCKED', 'RUNNING', 'CANCEL_REQUESTED') LIMIT 1")) {
          ps.setString(1, name);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              return Deleted.IN_USE;
            }
          }
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM remote_type WHERE name = ?")) {
          ps.setString(1, name);
          ps.executeUpdate();
        }
        c.commit();
        return Deleted.DELETED;
      } finally {
        if (!c.getAutoCommit()) {
          c.rollback();
          c.setAutoCommit(true);
        }
      }
    }
  }
}
