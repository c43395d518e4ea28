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
   * Seconds a PostgreSQL statement may wait for the database's next bytes
   * (JOBSERVER_DB_SOCKET_TIMEOUT_S): past it the connection counts as broken (a network partition
   * otherwise hangs a request for as long as TCP takes to give up, many minutes). Every statement
   * of the API and the engine answers in milliseconds; the few that may legitimately take long
   * (schema migration, exports, data retention) lift it on their own connection, see {@link
   * #LONG_STATEMENT_MILLIS}.
   */
  public static int socketTimeoutSeconds() {
    return seconds("JOBSERVER_DB_SOCKET_TIMEOUT_S", 3);
  }

  /** The socket timeout of the few statements that may take long (migration, export, retention). */
  public static final int LONG_STATEMENT_MILLIS = 30 * 60_000;

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
