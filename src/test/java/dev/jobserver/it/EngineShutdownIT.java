package dev.jobserver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * When the instance stops, it lets running jobs finish for the grace period and hands the rest
 * back.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class EngineShutdownIT {

  private static final String DEPLOYMENT = "shutdown";

  @Deployment(name = DEPLOYMENT, managed = false, testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  @ArquillianResource private Deployer deployer;

  @Test
  void unfinishedJobsAreHandedBackAndShortOnesFinish() throws Exception {
    Db.migrate(); // the jobs go in before any server has started

    long now = System.currentTimeMillis();
    String longRun =
        "shutdownlong" + Long.toString(now, 36) + "0".repeat(14 - Long.toString(now, 36).length());
    String shortRun =
        "shutdownshrt" + Long.toString(now, 36) + "0".repeat(14 - Long.toString(now, 36).length());
    // the long job is there when the server starts; the short one comes once it runs (the server
    // claims at boot, well before deploy() returns, so a short job would be over by then)
    Db.update(
        "INSERT INTO job (id, type, create_at, status, data) VALUES (?, 'sleep', ?, 'PENDING', ?)",
        longRun,
        now,
        "{\"duration_ms\":\"60000\"}");
    deployer.deploy(DEPLOYMENT);
    Db.update(
        "INSERT INTO job (id, type, create_at, status, data) VALUES (?, 'sleep', ?, 'PENDING', ?)",
        shortRun,
        System.currentTimeMillis(),
        "{\"duration_ms\":\"1000\"}");
    // RUNNING in the table means claimed; a claimed job may still wait for a worker, and one that
    // never started is rightly handed back at once. The short job's progress, written by the
    // engine's heartbeat from what the handler reports, shows that its handler runs.
    long deadline = System.currentTimeMillis() + 60_000;
    while (!"RUNNING".equals(status(longRun)) || progress(shortRun) <= 0) {
      assertTrue(
          System.currentTimeMillis() < deadline,
          "the jobs never ran together: long " + status(longRun) + ", short " + status(shortRun));
      ItSupport.sleep(20);
    }
    long stopAt = System.currentTimeMillis();
    deployer.undeploy(DEPLOYMENT); // SIGTERM to the server, which then shuts down on its own
    long stopped = System.currentTimeMillis() + 60_000;
    while (!"PENDING".equals(status(longRun)) && System.currentTimeMillis() < stopped) {
      ItSupport.sleep(100);
    }

    // the short one finished within the grace period (1.5 s in the tests), after the stop began;
    // the long one is back
    assertEquals("COMPLETED", status(shortRun), "the short job's events: " + events(shortRun));
    long completedAt =
        ((Number)
                Db.query(
                        "SELECT at FROM job_event WHERE job_id = ? AND new_status = 'COMPLETED'",
                        shortRun)
                    .get(0)
                    .get("at"))
            .longValue();
    assertTrue(completedAt >= stopAt, "the short job ended before the stop: " + completedAt);
    assertEquals("PENDING", status(longRun));
    Map<String, Object> row =
        Db.query("SELECT attempt, lease_owner FROM job WHERE id = ?", longRun).get(0);
    assertEquals(0, ((Number) row.get("attempt")).intValue(), "a hand-back uses no attempt");
    assertEquals(null, row.get("lease_owner"));
    List<Map<String, Object>> last =
        Db.query(
            "SELECT old_status, new_status, message FROM job_event WHERE job_id = ? ORDER BY id DESC",
            longRun);
    assertEquals("RUNNING", last.get(0).get("old_status"));
    assertEquals("PENDING", last.get(0).get("new_status"));
    assertTrue(
        String.valueOf(last.get(0).get("message")).contains("shutting down"), last.toString());
    Db.update("DELETE FROM job WHERE id IN (?, ?)", longRun, shortRun);
  }

  private static int progress(String id) {
    return ((Number) Db.query("SELECT progress FROM job WHERE id = ?", id).get(0).get("progress"))
        .intValue();
  }

  private static List<Map<String, Object>> events(String id) {
    return Db.query(
        "SELECT at, old_status, new_status, message FROM job_event WHERE job_id = ? ORDER BY id",
        id);
  }

  private static String status(String id) {
    return (String) Db.query("SELECT status FROM job WHERE id = ?", id).get(0).get("status");
  }
}
