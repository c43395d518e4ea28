package dev.jobserver.database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Lifts the socket timeout ({@link DatabaseSettings#socketTimeoutSeconds()}) of one connection, and
 * on PostgreSQL its {@code statement_timeout} and {@code lock_timeout} ({@link
 * DatabaseSettings#statementTimeoutMillis()}), while a statement that may legitimately take long
 * runs on it (schema migration, an export, the count of data retention), and puts them back on
 * close, before the connection returns to the pool. The database's own timeouts become {@link
 * #LONG_MILLIS}, shorter than the lifted socket timeout, which stays the last resort. A no-op where
 * the driver has no network timeout (embedded H2).
 *
 * <p>On PostgreSQL the timeouts are session settings: a caller that holds a transaction open on the
 * connection commits or rolls back their change with it (rolled back, they are what they were).
 */
public final class LongStatements implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(LongStatements.class.getName());

  /** The database's own timeouts while lifted: a minute short of the lifted socket timeout. */
  static final int LONG_MILLIS = DatabaseSettings.LONG_STATEMENT_MILLIS - 60_000;

  private static final String SWAP =
      "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'),"
          + " set_config('statement_timeout', ?, false), set_config('lock_timeout', ?, false)";

  private final Connection connection;
  private final int before;
  private final String[] timeoutsBefore;

  private LongStatements(Connection connection, int before, String[] timeoutsBefore) {
    this.connection = connection;
    this.before = before;
    this.timeoutsBefore = timeoutsBefore;
  }

  /**
   * Lets statements on this connection wait up to {@link DatabaseSettings#LONG_STATEMENT_MILLIS}.
   */
  public static LongStatements on(Connection connection) {
    int before = -1;
    try {
      before = connection.getNetworkTimeout();
      if (before > 0) {
        connection.setNetworkTimeout(Runnable::run, DatabaseSettings.LONG_STATEMENT_MILLIS);
      }
    } catch (SQLException | RuntimeException | AbstractMethodError unsupported) {
      before = -1;
    }
    String[] timeoutsBefore = null;
    try {
      if (isPostgres(connection)) {
        timeoutsBefore = swap(connection, LONG_MILLIS + "ms", LONG_MILLIS + "ms");
      }
    } catch (SQLException | RuntimeException e) {
      LOG.log(Level.FINE, "Lifting a connection's statement timeouts failed", e);
    }
    return new LongStatements(connection, before, timeoutsBefore);
  }

  private static boolean isPostgres(Connection connection) throws SQLException {
    return connection.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres");
  }

  /** Sets statement_timeout and lock_timeout; answers what they were. */
  private static String[] swap(Connection connection, String statement, String lock)
      throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(SWAP)) {
      ps.setString(1, statement);
      ps.setString(2, lock);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new String[] {rs.getString(1), rs.getString(2)};
      }
    }
  }

  @Override
  public void close() {
    try {
      if (timeoutsBefore != null && !connection.isClosed()) {
        swap(connection, timeoutsBefore[0], timeoutsBefore[1]);
      }
    } catch (SQLException | RuntimeException e) {
      LOG.log(Level.FINE, "Restoring a connection's statement timeouts failed", e);
    }
    if (before <= 0) {
      return;
    }
    try {
      if (!connection.isClosed()) {
        connection.setNetworkTimeout(Runnable::run, before);
      }
    } catch (SQLException | RuntimeException e) {
      LOG.log(Level.FINE, "Restoring a connection's socket timeout failed", e);
    }
  }
}
