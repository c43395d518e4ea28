package dev.jobserver.it;

import static dev.jobserver.it.ItSupport.ADMIN;
import static dev.jobserver.it.ItSupport.awaitStatus;
import static dev.jobserver.it.ItSupport.create;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The engine's behaviour in the server: runs, failures, cancellation that a handler cannot
 * overwrite, recovery of expired leases, timeouts, retries with backoff, per-type concurrency. The
 * test_* job types are handlers that only the test WAR contains.
 */
class EngineIT extends InServerTest {

  private static Map<String, Object> row(String id) {
    return Db.query(
            "SELECT status, attempt, start_at, last_activity_at, data FROM job WHERE id = ?", id)
        .get(0);
  }

  @Test
  void runsInParallelUpToTheWorkers() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(create(http, "sleep", "{\"duration_ms\":\"3000\"}").getString("id"));
    }
    List<JsonObject> done = new ArrayList<>();
    for (String id : ids) {
      done.add(awaitStatus(http, id, "success", 20_000));
    }
    // every run started before any other one ended: they overlapped
    long lastStart =
        done.stream().mapToLong(j -> j.getJsonNumber("start_at").longValue()).max().orElseThrow();
    long firstEnd =
        done.stream()
            .mapToLong(j -> j.getJsonNumber("last_activity_at").longValue())
            .min()
            .orElseThrow();
    assertTrue(lastStart < firstEnd, "runs did not overlap: " + done);
  }

  @Test
  void handlersRunOnTheEnginesManagedThreadsWithTheApplicationsContext() {
    String id = create(http, "test_context", null).getString("id");
    JsonObject data = awaitStatus(http, id, "success", 10_000).getJsonObject("data");
    assertTrue(data.getString("thread").startsWith("jobserver-worker-"), data.toString());
    assertFalse(data.getString("app").isBlank(), data.toString());
    assertEquals("true", data.getString("cdi"), data.toString());
    assertEquals(TestHandlers.class.getName(), data.getString("loader"), data.toString());
  }

  @Test
  void progressIsReportedWhileRunning() {
    String id = create(http, "sleep", "{\"duration_ms\":\"3000\"}").getString("id");
    JsonObject mid =
        ItSupport.await(
            http,
            id,
            j ->
                j.getString("status").equals("in_progress")
                    && j.getInt("progress") > 0
                    && j.getInt("progress") < 100,
            10_000);
    assertTrue(
        mid.getJsonNumber("last_activity_at").longValue()
            >= mid.getJsonNumber("start_at").longValue());
    awaitStatus(http, id, "success", 10_000);
  }

  @Test
  void aCancelIsNeverOverwrittenBySuccess() {
    String id = create(http, "test_stubborn", "{\"ms\":\"2500\"}").getString("id");
    awaitStatus(http, id, "in_progress", 10_000);
    assertEquals(200, http.post("/api/v4/jobs/" + id + "/cancel", ADMIN, "").status());
    awaitStatus(http, id, "canceled", 2_000);
    ItSupport.sleep(3000); // the handler ignores the interrupt and returns success meanwhile
    assertEquals("CANCELED", row(id).get("status"));
    assertFalse(
        Db.transitions(id).stream().anyMatch(t -> t.endsWith(">COMPLETED")),
        Db.transitions(id).toString());
  }

  @Test
  void anExpiredLeaseIsRecoveredAndTheJobRunsAgain() {
    long now = System.currentTimeMillis();
    String again = "lease" + "a".repeat(21);
    String spent = "lease" + "b".repeat(21);
    String canceling = "lease" + "c".repeat(21);
    for (Object[] j :
        new Object[][] {
          {again, "RUNNING", 1, 1}, {spent, "RUNNING", 2, 1}, {canceling, "CANCEL_REQUESTED", 1, 3}
        }) {
      Db.update(
          "INSERT INTO job (id, type, create_at, start_at, status, data, attempt, max_attempts, lease_owner,"
              + " lease_expires_at) VALUES (?, 'noop', ?, ?, ?, '{}', ?, ?, 'dead-instance', ?)",
          j[0],
          now,
          now,
          j[1],
          j[2],
          j[3],
          now - 1);
    }
    // one attempt, lost with its instance: it runs again (a lost instance is not the job's failure)
    JsonObject rerun = awaitStatus(http, again, "success", 10_000);
    assertEquals(2, ((Number) row(again).get("attempt")).intValue());
    assertEquals(
        List.of("RUNNING>PENDING", "PENDING>RUNNING", "RUNNING>COMPLETED"), Db.transitions(again));
    // already run twice for one attempt: a job that takes its instance down again fails
    JsonObject failed = awaitStatus(http, spent, "error", 10_000);
    assertTrue(
        failed.getJsonObject("data").getString("error").contains("stopped responding"),
        failed.toString());
    assertTrue(failed.getJsonObject("data").getString("error").contains("no attempts left"));
    awaitStatus(http, canceling, "canceled", 10_000);
    assertTrue(rerun.getJsonNumber("start_at").longValue() > now);
  }

  @Test
  void aTimeoutEndsTheRunAsFailed() {
    String id = create(http, "test_slow", null).getString("id");
    JsonObject failed = awaitStatus(http, id, "error", 10_000);
    assertTrue(
        failed.getJsonObject("data").getString("error").contains("timed out after 700 ms"),
        failed.toString());
    long ran =
        failed.getJsonNumber("last_activity_at").longValue()
            - failed.getJsonNumber("start_at").longValue();
    assertTrue(ran >= 700, "stopped before its timeout: " + ran);
  }

  @Test
  void retriesBackOffExponentially() {
    String id = create(http, "test_flaky", "{\"succeed_on\":\"3\"}").getString("id");
    JsonObject done = awaitStatus(http, id, "success", 15_000);
    assertEquals(3, ((Number) row(id).get("attempt")).intValue());
    List<String> t = Db.transitions(id);
    assertEquals(
        List.of(
            "null>PENDING",
            "PENDING>RUNNING",
            "RUNNING>PENDING",
            "PENDING>RUNNING",
            "RUNNING>PENDING",
            "PENDING>RUNNING",
            "RUNNING>COMPLETED"),
        t);
    // each attempt recorded when it started, on the server's clock; data added by earlier
    // attempts is kept
    long first = Long.parseLong(done.getJsonObject("data").getString("attempt_1"));
    long second = Long.parseLong(done.getJsonObject("data").getString("attempt_2"));
    long third = Long.parseLong(done.getJsonObject("data").getString("attempt_3"));
    assertTrue(second - first >= 300, "first backoff " + (second - first));
    assertTrue(third - second >= 600, "second backoff doubles: " + (third - second));
    assertFalse(
        done.getJsonObject("data").containsKey("error"),
        "success clears an earlier error: " + done);
    assertEquals(
        2,
        Db.query(
                "SELECT message FROM job_event WHERE job_id = ? AND message LIKE 'attempt % failed, retry in %'",
                id)
            .size());
    assertTrue(done.getJsonObject("data").containsKey("attempt_3"));
  }

  @Test
  void aTypeNeverRunsMoreThanItsLimitAtOnce() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(create(http, "test_limited", null).getString("id"));
    }
    List<long[]> spans = new ArrayList<>();
    for (String id : ids) {
      JsonObject done = awaitStatus(http, id, "success", 20_000);
      assertEquals("1", done.getJsonObject("data").getString("concurrent"), done.toString());
      // the handler's own clock (one JVM): when its run began and ended
      spans.add(
          new long[] {
            Long.parseLong(done.getJsonObject("data").getString("started")),
            Long.parseLong(done.getJsonObject("data").getString("ended"))
          });
    }
    spans.sort((a, b) -> Long.compare(a[0], b[0]));
    for (int i = 1; i < spans.size(); i++) {
      assertTrue(spans.get(i)[0] >= spans.get(i - 1)[1], "runs overlapped: run " + i);
    }
  }
}
