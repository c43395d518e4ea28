package dev.jobserver.database;

import dev.jobserver.common.Settings;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where the database is, from the settings (MicroProfile Config, see {@link Settings}):
 * JOBSERVER_DB_URL / _USER / _PASSWORD, else an embedded H2 file database in JOBSERVER_DATA_DIR.
 * With JOBSERVER_DATASOURCE set, the server's own JNDI data source is used instead and these are
 * not read (see {@link JobserverDataSource}).
 */
public final class DatabaseSettings {

  private DatabaseSettings() {}

  /**
   * A setting by its environment name, read through MicroProfile Config under its dotted name (in
   * the server), or from the system property or the environment (outside it).
   */
  public static String setting(String envName, String fallback) {
    return Settings.get(envName, fallback);
  }

  public static Path dataDir() {
    return Paths.get(setting("JOBSERVER_DATA_DIR", "data")).toAbsolutePath().normalize();
  }

  public static String url() {
    String url = setting("JOBSERVER_DB_URL", null);
    if (url != null) {
      return url;
    }
    // LOCK_TIMEOUT: wait for row locks like PostgreSQL does rather than failing at once
    return "jdbc:h2:file:"
        + dataDir().resolve("jobserver")
        + ";LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE";
  }

  public static String user() {
    return setting("JOBSERVER_DB_USER", isH2(url()) ? "sa" : null);
  }

  public static String password() {
    return setting("JOBSERVER_DB_PASSWORD", isH2(url()) ? "" : null);
  }

  /**
   * Seconds a PostgreSQL connection may take to open, TCP connect and login together
   * (JOBSERVER_DB_CONNECT_TIMEOUT_S): a database that refuses or does not answer fails the request
   * that needed a new connection within this time.
   */
  public static int connectTimeoutSeconds() {
    return seconds("JOBSERVER_DB_CONNECT_TIMEOUT_S", 3);
  }

  /**
   * Milliseconds a PostgreSQL statement may wait for one row or table lock
   * (JOBSERVER_DB_LOCK_TIMEOUT_MS, 0: no limit), PostgreSQL's own {@code lock_timeout}: past it the
   * database cancels the statement (SQLSTATE 55P03) and the connection stays healthy. Under a storm
   * of endings and creates a wait behind other transactions' locks is a busy database, not a dead
   * one (issue 25).
   */
  public static int lockTimeoutMillis() {
    return millis("JOBSERVER_DB_LOCK_TIMEOUT_MS", 5_000);
  }

  /**
   * Milliseconds a PostgreSQL statement may run (JOBSERVER_DB_STATEMENT_TIMEOUT_MS, 0: no limit),
   * PostgreSQL's own {@code statement_timeout}: past it the database cancels the statement
   * (SQLSTATE 57014) and the connection stays healthy. The few statements that may legitimately
   * take long lift it with the socket timeout, see {@link LongStatements}.
   */
  public static int statementTimeoutMillis() {
    return millis("JOBSERVER_DB_STATEMENT_TIMEOUT_MS", 10_000);
  }

  /**
   * Seconds a PostgreSQL statement may wait for the database's next bytes
   * (JOBSERVER_DB_SOCKET_TIMEOUT_S): past it the connection counts as broken, the pool drops its
   * idle ones and the request answers 503. It is the last resort: a database that stops answering
   * (a partition) is found within 3 s by the heartbeat of {@link Liveness}, which aborts the
   * statements waiting for it, and a slow statement is canceled by the database itself ({@link
   * #statementTimeoutMillis()}, {@link #lockTimeoutMillis()}), its connection kept. A batch of
   * statements gets no byte back until its last one has run, so the socket timeout must outlast a
   * batch whose statements each wait up to those timeouts: it is at least one second longer than
   * the statement timeout, whatever is set (default 30 s). The few statements that may legitimately
   * take long (schema migration, exports, data retention) lift it on their own connection, see
   * {@link #LONG_STATEMENT_MILLIS}.
   */
  public static int socketTimeoutSeconds() {
    int statement = statementTimeoutMillis();
    int floor = statement == 0 ? 0 : (statement + 999) / 1000 + 1;
    int configured = seconds("JOBSERVER_DB_SOCKET_TIMEOUT_S", Math.max(floor, 30));
    return configured == 0 ? 0 : Math.max(configured, floor);
  }

  /** The socket timeout of the few statements that may take long (migration, export, retention). */
  public static final int LONG_STATEMENT_MILLIS = 30 * 60_000;

  private static int millis(String name, int fallback) {
    return (int) Settings.number(name, fallback, 0, 3_600_000);
  }

  private static int seconds(String name, int fallback) {
    return (int) Settings.number(name, fallback, 0, 3600);
  }

  public static boolean isH2(String url) {
    return url.startsWith("jdbc:h2:");
  }

  public static boolean isPostgres(String url) {
    return url.startsWith("jdbc:postgresql:");
  }
}
