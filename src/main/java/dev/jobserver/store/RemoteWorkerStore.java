package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The only writer of {@code remote_worker}: each remote worker as its last claim or heartbeat saw
 * it, for the console's Workers view and the workers-connected gauge.
 */
@ApplicationScoped
public class RemoteWorkerStore {

  /** A worker, with the jobs it holds now (running under its leases). */
  public record Worker(
      String subject,
      String name,
      List<String> types,
      String instance,
      long firstSeenAt,
      long lastSeenAt,
      int jobsHeld) {}

  /** Rows not seen for this long are forgotten. */
  static final long FORGET_MILLIS = 24L * 3600 * 1000;

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  public RemoteWorkerStore() {}

  /** Records that the worker was seen now (its claim's types; null: keep the last ones). */
  public void seen(String subject, String name, String types, String instance, long now)
      throws SQLException {
    String id = subject + "/" + name;
    try (Connection c = dataSource.getConnection()) {
      int updated;
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE remote_worker SET last_seen_at = ?, instance = ?"
                  + (types == null ? "" : ", types = ?")
                  + " WHERE id = ?")) {
        int i = 1;
        ps.setLong(i++, now);
        ps.setString(i++, Text.column(instance, 64));
        if (types != null) {
          ps.setString(i++, Text.column(types, 2000));
        }
        ps.setString(i, Text.column(id, 400));
        updated = ps.executeUpdate();
      }
      if (updated == 0) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO remote_worker (id, subject, name, types, instance, first_seen_at,"
                    + " last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
          ps.setString(1, Text.column(id, 400));
          ps.setString(2, Text.column(subject, 255));
          ps.setString(3, Text.column(name, 100));
          ps.setString(4, Text.column(types == null ? "" : types, 2000));
          ps.setString(5, Text.column(instance, 64));
          ps.setLong(6, now);
          ps.setLong(7, now);
          ps.executeUpdate();
        }
      }
    }
  }

  /** The workers seen since {@code since} (epoch ms), last seen first; old rows are forgotten. */
  public List<Worker> seenSince(long since, long now) throws SQLException {
    List<Worker> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps =
          c.prepareStatement("DELETE FROM remote_worker WHERE last_seen_at < ?")) {
        ps.setLong(1, now - FORGET_MILLIS);
        ps.executeUpdate();
      }
      Map<String, Integer> held = new HashMap<>();
      try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT lease_owner FROM job WHERE status IN "
                      + RunLedger.RUNNING_STATES
                      + " AND lease_owner LIKE '"
                      + RemoteLeases.OWNER_PREFIX
                      + "%'");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          held.merge(RemoteLeases.workerOf(rs.getString(1)), 1, Integer::sum);
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT subject, name, types, instance, first_seen_at, last_seen_at"
                  + " FROM remote_worker WHERE last_seen_at >= ? ORDER BY last_seen_at DESC, id"
                  + " LIMIT 1000")) {
        ps.setLong(1, since);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String types = rs.getString(3);
            out.add(
                new Worker(
                    rs.getString(1),
                    rs.getString(2),
                    types.isEmpty() ? List.of() : List.of(types.split(",")),
                    rs.getString(4),
                    rs.getLong(5),
                    rs.getLong(6),
                    held.getOrDefault(rs.getString(2), 0)));
          }
        }
      }
    }
    return out;
  }

  /** How many workers were seen since {@code since}. */
  public int countSince(long since) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT COUNT(*) FROM remote_worker WHERE last_seen_at >= ?")) {
      ps.setLong(1, since);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
