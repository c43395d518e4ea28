package dev.jobserver.it;

import static dev.jobserver.it.ItSupport.ADMIN;
import static dev.jobserver.it.ItSupport.await;
import static dev.jobserver.it.ItSupport.awaitStatus;
import static dev.jobserver.it.ItSupport.create;
import static dev.jobserver.it.ItSupport.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The job lifecycle as a client sees it, on the database the build targets (H2, or PostgreSQL with
 * -Ppostgres): statuses never lie, a value the database refuses hurts only its own job, a requeued
 * job never runs twice at once, only the current run writes the result, and the engine's loops come
 * back from an Error.
 */
class LifecycleIT extends InServerTest {

  private static final String TAIPY = TestTokens.token("tina", "TAIPY_READER");

  /** The instance's workers (the default: max(16, 4 x cores) on the test machines). */
  private static final int WORKERS = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());

  @Test
  void jobsWaitingBehindBusyWorkersArePendingWithNoStartAndNoEventsUntilTheyStart() {
    // a type at its concurrency limit, held by one run: the next one of it is not claimed
    String limitedRunning = create(http, "test_limited", "{\"ms\":\"7000\"}").getString("id");
    awaitStatus(http, limitedRunning, "in_progress", 10_000);
    // every other worker held by a long job
    List<String> busy = new ArrayList<>();
    for (int i = 1; i < WORKERS; i++) {
      busy.add(create(http, "sleep", "{\"duration_ms\":\"6000\"}").getString("id"));
    }
    for (String id : busy) {
      awaitStatus(http, id, "in_progress", 10_000);
    }
    List<String> behind = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      behind.add(create(http, "noop", null).getString("id"));
    }
    behind.add(create(http, "test_limited", null).getString("id"));

    long until = System.currentTimeMillis() + 1200;
    int reads = 0;
    while (System.currentTimeMillis() < until) {
      for (String id : behind) {
        JsonObject v4 = http.get("/api/v4/jobs/" + id, ADMIN).json();
        assertEquals("pending", v4.getString("status"), v4.toString());
        assertEquals(0, v4.getJsonNumber("start_at").longValue(), v4.toString());
        JsonObject v1 = http.get("/api/v1/jobs/" + id, TAIPY).json().getJsonObject("job");
        assertEquals("Status.PENDING", v1.getString("status"), v1.toString());
        assertEquals(List.of("null>PENDING"), Db.transitions(id), id);
        reads++;
      }
    }
    assertTrue(reads >= behind.size());
    for (String id : behind) {
      JsonObject done = awaitStatus(http, id, "success", 20_000);
      assertTrue(done.getJsonNumber("start_at").longValue() > 0);
      assertEquals(
          List.of("null>PENDING", "PENDING>RUNNING", "RUNNING>COMPLETED"), Db.transitions(id));
    }
    for (String id : busy) {
      awaitStatus(http, id, "success", 20_000);
    }
  }

  @Test
  void aValueTheDatabaseRefusesFailsOnlyItsOwnJob() {
    String bad =
        create(http, "sleep", "{\"duration_ms\":\"0\",\"fail\":\"a\\u0000b\"}").getString("id");
    JsonObject failed = awaitStatus(http, bad, "error", 10_000);
    assertEquals("a\u0000b", failed.getJsonObject("data").getString("error"), "data keeps it");
    assertEquals(-1, failed.getInt("progress"));
    List<String> later = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      later.add(create(http, "noop", null).getString("id"));
    }
    for (String id : later) {
      awaitStatus(http, id, "success", 10_000);
    }
    String message =
        (String)
            Db.query(
                    "SELECT message FROM job_event WHERE job_id = ? AND new_status = 'FAILED'", bad)
                .get(0)
                .get("message");
    assertEquals("a\uFFFDb", message, "the event's text column gets it sanitised");
  }

  @Test
  void aRequeuedRunningJobNeverHasTwoLiveRuns() {
    // long enough that the requeue arrives while it runs, also on a loaded machine
    String id = create(http, "test_overlap", "{\"ms\":\"4000\"}").getString("id");
    awaitStatus(http, id, "in_progress", 10_000);
    assertEquals(
        200,
        http.patch("/api/v4/jobs/" + id + "/status", ADMIN, "{\"status\":\"pending\"}").status());
    JsonObject done = awaitStatus(http, id, "success", 20_000);
    assertEquals("1", done.getJsonObject("data").getString("live_at_start"), done.toString());
    assertEquals(
        List.of(
            "null>PENDING",
            "PENDING>RUNNING",
            "RUNNING>PENDING",
            "PENDING>RUNNING",
            "RUNNING>COMPLETED"),
        Db.transitions(id));
  }

  @Test
  void aSupersededRunCannotWriteTheResultAndAFailedRunsResultIsDiscarded() {
    String id = create(http, "test_result", "{\"ms\":\"3000\"}").getString("id");
    awaitStatus(http, id, "in_progress", 10_000);
    sleep(200);
    assertEquals(
        200,
        http.patch("/api/v4/jobs/" + id + "/status", ADMIN, "{\"status\":\"pending\"}").status());
    awaitStatus(http, id, "success", 20_000);
    Http.Reply download = http.get("/api/v4/jobs/" + id + "/download", ADMIN);
    assertEquals(200, download.status(), download.toString());
    assertEquals("attempt-2\nend of attempt-2\n", download.body());

    String failing = create(http, "test_result", "{\"fail\":\"yes\"}").getString("id");
    awaitStatus(http, failing, "error", 10_000);
    Http.Reply none = http.get("/api/v4/jobs/" + failing + "/download", ADMIN);
    assertEquals(400, none.status(), none.toString());
    assertEquals("api.job.unable_to_download_job", none.json().getString("id"));
    assertEquals(0, Db.query("SELECT job_id FROM job_result WHERE job_id = ?", failing).size());
  }

  @Test
  void anEngineLoopThatThrowsAnErrorComesBack() {
    awaitStatus(http, create(http, "test_arm_poison", null).getString("id"), "success", 10_000);
    // the dispatcher looks at every type's settings when it claims: the Error is thrown there
    List<String> after = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sleep(300);
      after.add(create(http, "noop", null).getString("id"));
    }
    for (String id : after) {
      awaitStatus(http, id, "success", 15_000);
    }
    JsonObject report =
        await(
            http,
            create(http, "test_poison", null).getString("id"),
            j -> j.getString("status").equals("success"),
            15_000);
    assertFalse(report.getJsonObject("data").getString("thrown").equals("0"), report.toString());
  }
}
