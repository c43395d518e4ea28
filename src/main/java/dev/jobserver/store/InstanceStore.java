package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The only writer of {@code engine_instance}: one row per running engine, written by its heartbeat,
 * so that any instance can show which instances are alive and how busy they are (read through JPA:
 * {@code engine.StoredInstance}, by the stats of {@code service.JobService}).
 *
 * <p>The writes stay SQL, on the engine's own connections rather than the entity manager, though
 * they are not a hot path (one beat every third of a lease): the heartbeat writes the row with one
 * upsert (PostgreSQL's {@code ON CONFLICT}, H2's {@code MERGE}) and forgets dead rows with one bulk
 * delete, from an engine loop thread that has no JTA transaction, where {@code em.merge} would read
 * the row first and need a transaction around it; and the row's removal runs on the shutdown path,
 * on direct connections, while the server is taking the application (and its persistence unit) down
 * ({@link #direct()}).
 */
@ApplicationScoped
public class InstanceStore {

  /** An instance as its last heartbeat described it (times epoch ms). */
  public record Instance(
      String id, int workers, int busy, long leaseMillis, long startedAt, long lastSeenAt) {}

  /** A row not renewed for this many of its leases is no instance any more: it is deleted. */
  static final int FORGET_AFTER_LEASES = 100;

  /** An instance is shown as alive while its row is younger than this many of its leases. */
  public static final int ALIVE_LEASES = 3;

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  private volatile Boolean postgres;

  public InstanceStore() {}

  private InstanceStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  public static InstanceStore over(DataSource dataSource) {
    return new InstanceStore(dataSource);
  }

  /** A store on direct, unpooled connections, for the engine's shutdown (see JobStore.direct). */
  public static InstanceStore direct() {
    return new InstanceStore(JobserverDataSource.outlivingTheApplication());
  }

  /**
   * Writes this instance's row (inserted on its first beat) and forgets instances that have not
   * beaten for {@link #FORGET_AFTER_LEASES} of their leases (they died without saying so).
   */
  public void seen(Instance instance) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      boolean pg = isPostgres(c);
      try (PreparedStatement ps = c.prepareStatement(pg ? PG_UPSERT : H2_UPSERT)) {
        ps.setString(1, instance.id());
        ps.setInt(2, instance.workers());
        ps.setInt(3, instance.busy());
        ps.setLong(4, instance.leaseMillis());
        ps.setLong(5, instance.startedAt());
        ps.setLong(6, instance.lastSeenAt());
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "DELETE FROM engine_instance WHERE last_seen_at + lease_ms * "
                  + FORGET_AFTER_LEASES
                  + " < ?")) {
        ps.setLong(1, instance.lastSeenAt());
        ps.executeUpdate();
      }
    }
  }

  /** Removes an instance's row (it stops). */
  public void remove(String id) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("DELETE FROM engine_instance WHERE id = ?")) {
      ps.setString(1, id);
      ps.executeUpdate();
    }
  }

  private static final String PG_UPSERT =
      "INSERT INTO engine_instance (id, workers, busy, lease_ms, started_at, last_seen_at)"
          + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET workers = EXCLUDED.workers,"
          + " busy = EXCLUDED.busy, lease_ms = EXCLUDED.lease_ms,"
          + " last_seen_at = EXCLUDED.last_seen_at";

  private static final String H2_UPSERT =
      "MERGE INTO engine_instance t USING (VALUES (CAST(? AS VARCHAR(64)), CAST(? AS INT),"
          + " CAST(? AS INT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)))"
          + " s(id, workers, busy, lease_ms, started_at, last_seen_at) ON t.id = s.id"
          + " WHEN MATCHED THEN UPDATE SET workers = s.workers, busy = s.busy,"
          + " lease_ms = s.lease_ms, last_seen_at = s.last_seen_at"
          + " WHEN NOT MATCHED THEN INSERT (id, workers, busy, lease_ms, started_at, last_seen_at)"
          + " VALUES (s.id, s.workers, s.busy, s.lease_ms, s.started_at, s.last_seen_at)";

  private boolean isPostgres(Connection c) throws SQLException {
    Boolean p = postgres;
    if (p == null) {
      p = c.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres");
      postgres = p;
    }
    return p;
  }
}
