package dev.jobserver.database;

import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where the database is, from the environment (or the same names as system properties, which win):
 * JOBSERVER_DB_URL / _USER / _PASSWORD, else an embedded H2 file database in JOBSERVER_DATA_DIR.
 */
public final class DatabaseSettings {

  private DatabaseSettings() {}

  public static String setting(String envName, String fallback) {
    String property = System.getProperty(envName.toLowerCase().replace('_', '.'));
    if (property != null && !property.isBlank()) {
      return property;
    }
    String env = System.getenv(envName);
    return env == null || env.isBlank() ? fallback : env;
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

  public static boolean isH2(String url) {
    return url.startsWith("jdbc:h2:");
  }

  public static boolean isPostgres(String url) {
    return url.startsWith("jdbc:postgresql:");
  }
}
