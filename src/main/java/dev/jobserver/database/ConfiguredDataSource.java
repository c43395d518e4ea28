package dev.jobserver.database;

import dev.jobserver.common.Settings;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The data source class named by {@link JobserverDataSource}: the container pools it; it decides
 * from the settings at run time which database to reach, so one WAR serves H2 and PostgreSQL.
 */
public class ConfiguredDataSource implements DataSource {

  private final DataSource delegate;

  /** PostgreSQL: tells a slow database from a gone one; null on H2. */
  private final String livenessKey;

  private volatile Liveness liveness;

  public ConfiguredDataSource() {
    this(
        DatabaseSettings.socketTimeoutSeconds(),
        DatabaseSettings.statementTimeoutMillis(),
        DatabaseSettings.lockTimeoutMillis());
  }

  /**
   * @param socketTimeoutSeconds how long a PostgreSQL statement may wait for the database's next
   *     bytes (0: for ever), unless the URL sets {@code socketTimeout} itself
   */
  public ConfiguredDataSource(int socketTimeoutSeconds) {
    this(socketTimeoutSeconds, 0, 0);
  }

  /**
   * @param socketTimeoutSeconds how long a PostgreSQL statement may wait for the database's next
   *     bytes (0: for ever), unless the URL sets {@code socketTimeout} itself
   * @param statementTimeoutMillis PostgreSQL's {@code statement_timeout} of every connection (0:
   *     the server's), unless the URL's {@code options} set it
   * @param lockTimeoutMillis PostgreSQL's {@code lock_timeout} of every connection (0: the
   *     server's), unless the URL's {@code options} set it
   */
  public ConfiguredDataSource(
      int socketTimeoutSeconds, int statementTimeoutMillis, int lockTimeoutMillis) {
    String url = DatabaseSettings.url();
    String user = DatabaseSettings.user();
    String password = DatabaseSettings.password();
    if (DatabaseSettings.isPostgres(url)) {
      PGSimpleDataSource pg = new PGSimpleDataSource();
      pg.setURL(url);
      if (user != null) {
        pg.setUser(user);
      }
      if (password != null) {
        pg.setPassword(password);
      }
      pg.setReWriteBatchedInserts(true);
      // A database that is down or cut off fails requests within seconds rather than hanging them
      // (README, Operating it). What the operator wrote in the URL wins.
      if (!names(url, "connectTimeout")) {
        pg.setConnectTimeout(DatabaseSettings.connectTimeoutSeconds());
      }
      if (!names(url, "loginTimeout")) {
        pg.setLoginTimeout(DatabaseSettings.connectTimeoutSeconds());
      }
      if (!names(url, "socketTimeout")) {
        pg.setSocketTimeout(socketTimeoutSeconds);
      }
      // A statement that waits long for locks or runs long is canceled by the database itself,
      // which keeps the connection: slow is not dead (README, Operating it). Set in the startup
      // packet, so it costs no round trip.
      pg.setOptions(withTimeouts(pg.getOptions(), statementTimeoutMillis, lockTimeoutMillis));
      if (!names(url, "tcpKeepAlive")) {
        pg.setTcpKeepAlive(true);
      }
      delegate = pg;
      livenessKey = url + (user == null ? "" : "\n" + user);
    } else if (DatabaseSettings.isH2(url)) {
      JdbcDataSource h2 = new JdbcDataSource();
      h2.setURL(url);
      h2.setUser(user == null ? "sa" : user);
      h2.setPassword(password == null ? "" : password);
      delegate = h2;
      livenessKey = null;
    } else {
      throw new IllegalStateException(
          Settings.describe("JOBSERVER_DB_URL")
              + " must be a jdbc:postgresql: or jdbc:h2: URL, got "
              + url);
    }
  }

  /**
   * PostgreSQL's startup {@code options} with {@code statement_timeout} and {@code lock_timeout}
   * added (milliseconds; 0 adds nothing), unless the options given already set them.
   */
  static String withTimeouts(String options, int statementTimeoutMillis, int lockTimeoutMillis) {
    StringBuilder b = new StringBuilder(options == null ? "" : options.trim());
    for (var setting :
        new Object[][] {
          {"statement_timeout", statementTimeoutMillis}, {"lock_timeout", lockTimeoutMillis}
        }) {
      String name = (String) setting[0];
      int millis = (Integer) setting[1];
      if (millis > 0 && !b.toString().contains(name)) {
        b.append(b.length() == 0 ? "" : " ").append("-c ").append(name).append('=').append(millis);
      }
    }
    return b.length() == 0 ? null : b.toString();
  }

  /** Whether the URL sets this connection parameter itself. */
  static boolean names(String url, String parameter) {
    int query = url.indexOf('?');
    if (query < 0) {
      return false;
    }
    for (String pair : url.substring(query + 1).split("&")) {
      if (pair.split("=", 2)[0].equalsIgnoreCase(parameter)) {
        return true;
      }
    }
    return false;
  }

  // Setters the container calls for the attributes of @DataSourceDefinition; the real values
  // come from the environment, so these are accepted and ignored.
  public void setUrl(String ignored) {}

  public void setURL(String ignored) {}

  public void setUser(String ignored) {}

  public void setPassword(String ignored) {}

  public void setDescription(String ignored) {}

  @Override
  public Connection getConnection() throws SQLException {
    Connection c = delegate.getConnection();
    return livenessKey == null ? c : liveness().track(c);
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return getConnection();
  }

  /**
   * Stops watching the databases (the heartbeat threads of {@code Liveness}): called when the
   * application is undeployed, after the engine has handed its jobs back.
   */
  public static void stopWatching() {
    Liveness.stopAll();
  }

  /** Started with the first connection (not when the container merely builds the pool). */
  private Liveness liveness() {
    Liveness l = liveness;
    if (l == null) {
      l = Liveness.of(livenessKey, delegate);
      liveness = l;
    }
    return l;
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return delegate.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    delegate.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    if (seconds > 0) { // 0 would wait for ever: the configured timeout stays
      delegate.setLoginTimeout(seconds);
    }
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return delegate.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return Logger.getLogger("dev.jobserver.database");
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    return delegate.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || delegate.isWrapperFor(iface);
  }
}
