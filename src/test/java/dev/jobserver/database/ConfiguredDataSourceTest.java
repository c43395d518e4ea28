package dev.jobserver.database;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Slow is not dead (issue 25): every PostgreSQL connection carries the database's own statement and
 * lock timeouts, and the socket timeout, the last resort, is longer than both.
 */
class ConfiguredDataSourceTest {

  private static final String[] PROPERTIES = {
    "jobserver.db.url",
    "jobserver.db.statement.timeout.ms",
    "jobserver.db.lock.timeout.ms",
    "jobserver.db.socket.timeout.s"
  };

  @AfterEach
  void clear() {
    for (String p : PROPERTIES) {
      System.clearProperty(p);
    }
  }

  private static PGSimpleDataSource pg(ConfiguredDataSource ds) throws Exception {
    return ds.unwrap(PGSimpleDataSource.class);
  }

  @Test
  void everyConnectionCarriesTheStatementAndLockTimeouts() throws Exception {
    System.setProperty("jobserver.db.url", "jdbc:postgresql://127.0.0.1:5432/x");
    PGSimpleDataSource pg = pg(new ConfiguredDataSource());
    assertEquals("-c statement_timeout=10000 -c lock_timeout=5000", pg.getOptions());
    assertEquals(30, pg.getSocketTimeout());

    System.setProperty("jobserver.db.statement.timeout.ms", "10000");
    System.setProperty("jobserver.db.lock.timeout.ms", "0");
    pg = pg(new ConfiguredDataSource());
    assertEquals("-c statement_timeout=10000", pg.getOptions());
    assertEquals(30, pg.getSocketTimeout());
    System.setProperty("jobserver.db.statement.timeout.ms", "40000");
    assertEquals(41, pg(new ConfiguredDataSource()).getSocketTimeout(), "longer than it");
  }

  @Test
  void theSocketTimeoutIsNeverShorterThanTheStatementTimeoutPlusASecond() {
    System.setProperty("jobserver.db.socket.timeout.s", "2");
    assertEquals(11, DatabaseSettings.socketTimeoutSeconds());
    System.setProperty("jobserver.db.socket.timeout.s", "30");
    assertEquals(30, DatabaseSettings.socketTimeoutSeconds());
    System.setProperty("jobserver.db.statement.timeout.ms", "2500");
    System.setProperty("jobserver.db.socket.timeout.s", "1");
    assertEquals(4, DatabaseSettings.socketTimeoutSeconds());
    System.setProperty("jobserver.db.socket.timeout.s", "0");
    assertEquals(0, DatabaseSettings.socketTimeoutSeconds(), "0: no socket timeout, as asked");
    System.setProperty("jobserver.db.statement.timeout.ms", "0");
    System.clearProperty("jobserver.db.socket.timeout.s");
    assertEquals(30, DatabaseSettings.socketTimeoutSeconds());
  }

  @Test
  void whatTheOperatorWroteInTheUrlWins() throws Exception {
    System.setProperty(
        "jobserver.db.url",
        "jdbc:postgresql://127.0.0.1:5432/x?options=-c%20statement_timeout%3D9000%20-c%20search_path%3Dq");
    PGSimpleDataSource pg = pg(new ConfiguredDataSource());
    assertEquals(
        "-c statement_timeout=9000 -c search_path=q -c lock_timeout=5000", pg.getOptions());
  }

  @Test
  void optionsAreMergedNotReplaced() {
    assertEquals(
        "-c search_path=a -c statement_timeout=5 -c lock_timeout=6",
        ConfiguredDataSource.withTimeouts("-c search_path=a", 5, 6));
    assertEquals(
        "-c lock_timeout=1s -c statement_timeout=5",
        ConfiguredDataSource.withTimeouts("-c lock_timeout=1s", 5, 6));
    assertNull(ConfiguredDataSource.withTimeouts(null, 0, 0));
    assertNull(ConfiguredDataSource.withTimeouts("  ", 0, 0));
  }
}
