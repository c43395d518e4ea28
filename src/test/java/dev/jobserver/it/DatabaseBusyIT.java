package dev.jobserver.it;

import static dev.jobserver.it.ItSupport.ADMIN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.api.common.ErrorBodies;
import dev.jobserver.database.ConfiguredDataSource;
import dev.jobserver.job.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Slow is not dead (issue 25), on PostgreSQL: a statement that waits for a lock past {@code
 * lock_timeout} or runs past {@code statement_timeout} is canceled by the database, the request
 * answers a 503 that says the database is busy, and the pool keeps its connections (no fail-all):
 * the connections it had before are the ones it has after.
 */
class DatabaseBusyIT extends InServerTest {

  @BeforeEach
  void onPostgresOnly() {
    Assumptions.assumeTrue(
        System.getenv("JOBSERVER_DB_URL").startsWith("jdbc:postgresql:"),
        "lock_timeout and statement_timeout are PostgreSQL's");
  }

  /** The server's connections to the database now (every session but the test's own). */
  private static Set<Integer> serverSessions(Connection own) throws SQLException {
    Set<Integer> pids = new HashSet<>();
    try (Statement s = own.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND backend_type = 'client backend' AND pid <> pg_backend_pid()")) {
      while (rs.next()) {
        pids.add(rs.getInt(1));
      }
    }
    return pids;
  }

  private static int pid(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void aLockWaitPastLockTimeoutIsABusy503AndThePoolKeepsItsConnections() throws Exception {
    // due in an hour: the engine leaves it alone
    Http.Reply created =
        http.post(
            "/api/jobserver/v1/jobs",
            ADMIN,
            "{\"type\":\"noop\",\"run_at\":" + (System.currentTimeMillis() + 3_600_000L) + "}");
    assertEquals(201, created.status(), created.toString());
    String id = created.json().getString("id");
    // warm the pool so that it holds idle connections a fail-all would drop
    for (int i = 0; i < 5; i++) {
      assertEquals(200, http.get("/api/jobserver/v1/jobs/" + id, ADMIN).status());
    }

    try (Connection observer = Db.connect();
        Connection holder = Db.connect()) {
      holder.setAutoCommit(false);
      try (PreparedStatement lock =
          holder.prepareStatement("SELECT id FROM job WHERE id = ? FOR UPDATE")) {
        lock.setString(1, id);
        lock.executeQuery().close();
      }
      Set<Integer> before = serverSessions(observer);
      before.remove(pid(holder));
      assertFalse(before.isEmpty(), "the server holds connections");

      long t0 = System.currentTimeMillis();
      Http.Reply cancel = http.post("/api/jobserver/v1/jobs/" + id + "/cancel", ADMIN, "");
      long took = System.currentTimeMillis() - t0;
      assertEquals(503, cancel.status(), cancel.toString());
      assertEquals(ErrorBodies.BUSY, cancel.json().getString("message"), cancel.toString());
      assertEquals("2", cancel.header("Retry-After"));
      // lock_timeout (5 s) cancels it, long before the socket timeout (30 s) would
      assertTrue(took >= 4_900 && took < 8_000, "answered in " + took + " ms");

      Http.Reply v4 = http.post("/api/v4/jobs/" + id + "/cancel", ADMIN, "");
      assertEquals(503, v4.status(), v4.toString());
      assertEquals("api.context.database_busy.app_error", v4.json().getString("id"));

      Set<Integer> after = serverSessions(observer);
      assertTrue(
          after.containsAll(before),
          "the pool dropped connections: before " + before + ", after " + after);
      holder.rollback();
    }

    // the job is as it was, and the same request now succeeds
    assertEquals(
        "PENDING", Db.query("SELECT status FROM job WHERE id = ?", id).get(0).get("status"));
    Http.Reply cancel = http.post("/api/jobserver/v1/jobs/" + id + "/cancel", ADMIN, "");
    assertEquals(200, cancel.status(), cancel.toString());
    assertEquals("canceled", cancel.json().getString("status"));
  }

  @Test
  void aCreateWhoseDependencyIsHeldPastLockTimeoutIsRetriedAndThePoolKeepsItsConnections()
      throws Exception {
    Http.Reply parent =
        http.post(
            "/api/jobserver/v1/jobs",
            ADMIN,
            "{\"type\":\"noop\",\"run_at\":" + (System.currentTimeMillis() + 3_600_000L) + "}");
    assertEquals(201, parent.status(), parent.toString());
    String parentId = parent.json().getString("id");
    for (int i = 0; i < 5; i++) {
      assertEquals(200, http.get("/api/jobserver/v1/jobs/" + parentId, ADMIN).status());
    }

    try (Connection observer = Db.connect();
        Connection holder = Db.connect()) {
      holder.setAutoCommit(false);
      try (PreparedStatement lock =
          holder.prepareStatement("SELECT id FROM job WHERE id = ? FOR UPDATE")) {
        lock.setString(1, parentId);
        lock.executeQuery().close();
      }
      Set<Integer> before = serverSessions(observer);
      before.remove(pid(holder));

      // the dependency is let go 6.5 s later: past one lock_timeout (5 s), within the second try
      java.util.concurrent.CompletableFuture<Void> release =
          java.util.concurrent.CompletableFuture.runAsync(
              () -> {
                try {
                  Thread.sleep(6_500);
                  holder.rollback();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      long t0 = System.currentTimeMillis();
      Http.Reply child =
          http.post(
              "/api/jobserver/v1/jobs",
              ADMIN,
              "{\"type\":\"noop\",\"depends_on\":[\"" + parentId + "\"]}");
      long took = System.currentTimeMillis() - t0;
      release.get();
      assertEquals(201, child.status(), child.toString());
      assertTrue(took >= 6_000 && took < 12_000, "answered in " + took + " ms");
      String childId = child.json().getString("id");
      assertEquals(
          "BLOCKED", Db.query("SELECT status FROM job WHERE id = ?", childId).get(0).get("status"));
      assertEquals(
          1,
          Db.query("SELECT job_id FROM job_dependency WHERE depends_on = ?", parentId).size(),
          "one edge: the canceled try left nothing behind");

      Set<Integer> after = serverSessions(observer);
      assertTrue(
          after.containsAll(before),
          "the pool dropped connections: before " + before + ", after " + after);
    }
  }

  @Test
  void aStatementPastStatementTimeoutIsCanceledAndItsConnectionKept() throws Exception {
    // the server's data source, as the server configures it from the same environment
    ConfiguredDataSource ds = new ConfiguredDataSource();
    try (Connection c = ds.getConnection()) {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW statement_timeout")) {
        rs.next();
        assertEquals("10s", rs.getString(1));
      }
      long t0 = System.currentTimeMillis();
      SQLException e =
          assertThrows(
              SQLException.class, () -> c.createStatement().execute("SELECT pg_sleep(15)"));
      long took = System.currentTimeMillis() - t0;
      assertEquals("57014", e.getSQLState(), e.toString());
      assertTrue(StoreException.isBusy(e) && took < 12_000, took + " ms: " + e);
      assertFalse(c.isClosed(), "the connection is kept");
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT 1")) {
        assertTrue(rs.next());
      }
    }
  }
}
