package dev.jobserver.database;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Lifts the socket timeout ({@link DatabaseSettings#socketTimeoutSeconds()}) of one connection
 * while a statement that may legitimately take long runs on it (schema migration, an export, the
 * count of data retention), and puts it back on close, before the connection returns to the pool. A
 * no-op where the driver has no network timeout (embedded H2).
 */
public final class LongStatements implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(LongStatements.class.getName());

  private final Connection connection;
  private final int before;

  private LongStatements(Connection connection, int before) {
    this.connection = connection;
    this.before = before;
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
    return new LongStatements(connection, before);
  }

  @Override
  public void close() {
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
