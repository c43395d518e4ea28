package dev.jobserver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The /api/v1/jobs contract of API.md (Taipy's REST jobs API), over HTTP against Payara Micro. */
class TaipyApiIT extends InServerTest {

  static final String READER = TestTokens.token("r", "TAIPY_READER");
  static final String EDITOR = TestTokens.token("e", "TAIPY_EDITOR");
  static final String EXECUTOR = TestTokens.token("x", "TAIPY_EXECUTOR");
  static final String ADMIN = TestTokens.token("a", "TAIPY_ADMIN");
  static final String MATTERMOST = TestTokens.token("m", "manage_jobs");

  private static void assertMessage(Http.Reply r, int status, String message) {
    assertEquals(status, r.status(), r.toString());
    assertEquals("application/json", r.header("Content-Type"), r.toString());
    assertEquals(Set.of("message"), r.json().keySet(), r.toString());
    if (message != null) {
      assertEquals(message, r.json().getString("message"));
    }
  }

  private JsonObject createVia(String token, String taskId) {
    Http.Reply r = http.post("/api/v1/jobs?task_id=" + taskId, token, null);
    assertEquals(201, r.status(), r.toString());
    assertEquals("Job was created.", r.json().getString("message"));
    return r.json().getJsonObject("job");
  }

  private JsonObject awaitStatus(String id, String status) {
    long deadline = System.currentTimeMillis() + 15_000;
    JsonObject job = null;
    while (System.currentTimeMillis() < deadline) {
      job = http.get("/api/v1/jobs/" + id, READER).json().getJsonObject("job");
      if (job.getString("status").equals(status)) {
        return job;
      }
      ItSupport.sleep(25);
    }
    throw new AssertionError(id + " never reached " + status + ": " + job);
  }

  // ---- the five upstream cases, as Taipy's tests/rest/test_job.py states them ----------------

  @Test
  void upstreamGetJob() {
    assertEquals(404, http.get("/api/v1/jobs/foo", READER).status());
    String id = createVia(EDITOR, "noop").getString("id");
    assertEquals(200, http.get("/api/v1/jobs/" + id, READER).status());
  }

  @Test
  void upstreamDeleteJob() {
    assertEquals(404, http.get("/api/v1/jobs/foo", READER).status());
    String id = createVia(EDITOR, "noop").getString("id");
    awaitStatus(id, "Status.COMPLETED");
    assertEquals(200, http.delete("/api/v1/jobs/" + id, EDITOR).status());
  }

  @Test
  void upstreamCreateJob() {
    assertEquals(400, http.post("/api/v1/jobs", EDITOR, null).status());
    assertEquals(201, http.post("/api/v1/jobs?task_id=noop", EDITOR, null).status());
  }

  @Test
  void upstreamGetAllJobs() {
    for (int i = 0; i < 10; i++) {
      createVia(EDITOR, "noop");
    }
    Http.Reply r = http.get("/api/v1/jobs", READER);
    assertEquals(200, r.status());
    assertTrue(r.array().size() >= 10);
  }

  @Test
  void upstreamCancelJob() {
    assertEquals(404, http.post("/api/v1/jobs/cancel/foo", EXECUTOR, null).status());
    String id = createVia(EDITOR, "sleep").getString("id");
    assertEquals(200, http.post("/api/v1/jobs/cancel/" + id, EXECUTOR, null).status());
  }

  // ---- shapes and messages -----------------------------------------------------------------

  @Test
  void createGivesTheTaipyShapeAndTheJobRuns() {
    JsonObject job = createVia(EDITOR, "noop");
    assertEquals(
        Set.of("id", "task_id", "status", "force", "creation_date", "subscribers", "stacktrace"),
        job.keySet());
    assertTrue(
        job.getString("id")
            .matches(
                "JOB_noop_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"),
        job.getString("id"));
    assertTrue(job.getString("task_id").matches("TASK_noop_[0-9a-f-]{36}"));
    assertEquals(
        job.getString("task_id"),
        createVia(EDITOR, "noop").getString("task_id"),
        "one task per config");
    assertEquals("Status.PENDING", job.getString("status"));
    assertEquals(JsonValue.FALSE, job.get("force"));
    assertTrue(
        job.getString("creation_date")
            .matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{6}"));
    assertEquals(0, job.getJsonArray("subscribers").size());
    assertEquals(0, job.getJsonArray("stacktrace").size());
    awaitStatus(job.getString("id"), "Status.COMPLETED");
  }

  @Test
  void aTaskIdResolvesToItsConfig() {
    String taskId = createVia(EDITOR, "noop").getString("task_id");
    JsonObject job = createVia(EDITOR, taskId);
    assertTrue(job.getString("id").startsWith("JOB_noop_"));
    assertMessage(
        http.post("/api/v1/jobs?task_id=TASK_nope_" + UUID.randomUUID(), EDITOR, null), 404, null);
  }

  @Test
  void createErrors() {
    assertMessage(http.post("/api/v1/jobs", EDITOR, null), 400, "Config id is missing.");
    assertMessage(http.post("/api/v1/jobs?task_id=", EDITOR, null), 400, "Config id is missing.");
    assertMessage(
        http.post("/api/v1/jobs?task_id=nope", EDITOR, null),
        404,
        "Task config: nope does not exist.");
  }

  @Test
  void getAndItsMissingMessage() {
    String id = createVia(EDITOR, "noop").getString("id");
    JsonObject got = http.get("/api/v1/jobs/" + id, READER).json();
    assertEquals(Set.of("job"), got.keySet());
    assertEquals(id, got.getJsonObject("job").getString("id"));
    String missing = "JOB_noop_" + UUID.randomUUID();
    assertMessage(
        http.get("/api/v1/jobs/" + missing, READER), 404, "Job: " + missing + " does not exist.");
    assertMessage(http.get("/api/v1/jobs/foo", READER), 404, "Job: foo does not exist.");
  }

  @Test
  void aFailedJobShowsItsStackTrace() {
    Http.Reply created =
        http.post(
            "/api/v4/jobs",
            MATTERMOST,
            "{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"1\",\"fail\":\"bad input\"}}");
    String id = created.json().getString("id");
    JsonObject job = awaitStatus(id, "Status.FAILED");
    JsonArray trace = job.getJsonArray("stacktrace");
    assertEquals(1, trace.size());
    assertTrue(trace.getString(0).contains("bad input"), trace.toString());
  }

  @Test
  void deleteFinishedOnly() {
    String running = createVia(EDITOR, "sleep").getString("id"); // 1 s by default
    Http.Reply refused = http.delete("/api/v1/jobs/" + running, EDITOR);
    assertMessage(refused, 409, "Job: " + running + " cannot be deleted.");
    assertEquals(1, Db.query("SELECT id FROM job WHERE id = ?", running).size(), "nothing changed");

    String export =
        http.post("/api/v4/jobs", MATTERMOST, "{\"type\":\"job_export\"}").json().getString("id");
    ItSupport.awaitStatus(http, export, "success", 15_000);
    assertEquals(1, Db.query("SELECT job_id FROM job_result WHERE job_id = ?", export).size());
    assertMessage(
        http.delete("/api/v1/jobs/" + export, EDITOR), 200, "Job " + export + " was deleted.");
    assertEquals(0, Db.query("SELECT id FROM job WHERE id = ?", export).size());
    assertEquals(0, Db.query("SELECT job_id FROM job_result WHERE job_id = ?", export).size());
    assertEquals(
        0, Db.query("SELECT job_id FROM job_result_chunk WHERE job_id = ?", export).size());
    assertEquals(0, Db.query("SELECT job_id FROM job_event WHERE job_id = ?", export).size());
    String missing = "JOB_noop_" + UUID.randomUUID();
    assertMessage(
        http.delete("/api/v1/jobs/" + missing, EDITOR),
        404,
        "Job: " + missing + " does not exist.");
    http.post("/api/v1/jobs/cancel/" + running, EXECUTOR, null);
  }

  @Test
  void cancelPendingRunningAndFinished() {
    String waiting = "JOB_noop_" + UUID.randomUUID();
    Db.update(
        "INSERT INTO job (id, type, create_at, status, data, run_after) VALUES (?, 'noop', ?, 'PENDING', '{}', ?)",
        waiting,
        System.currentTimeMillis(),
        Long.MAX_VALUE / 2);
    assertMessage(
        http.post("/api/v1/jobs/cancel/" + waiting, EXECUTOR, null),
        200,
        "Job " + waiting + " was cancelled.");
    assertEquals(
        "Status.CANCELED",
        http.get("/api/v1/jobs/" + waiting, READER)
            .json()
            .getJsonObject("job")
            .getString("status"));

    Http.Reply r =
        http.post(
            "/api/v4/jobs",
            MATTERMOST,
            "{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"30000\"}}");
    String running = r.json().getString("id");
    ItSupport.awaitStatus(http, running, "in_progress", 10_000);
    assertMessage(http.post("/api/v1/jobs/cancel/" + running, EXECUTOR, null), 200, null);
    awaitStatus(running, "Status.CANCELED");

    String done = createVia(EDITOR, "noop").getString("id");
    awaitStatus(done, "Status.COMPLETED");
    assertMessage(
        http.post("/api/v1/jobs/cancel/" + done, EXECUTOR, null),
        200,
        "Job " + done + " was cancelled.");
    assertEquals(
        "Status.COMPLETED",
        http.get("/api/v1/jobs/" + done, READER).json().getJsonObject("job").getString("status"),
        "a finished job is left as it is");
  }

  @Test
  void everyRouteAnswersWithATrailingSlash() {
    assertEquals(200, http.get("/api/v1/jobs/", READER).status());
    Http.Reply created = http.post("/api/v1/jobs/?task_id=noop", EDITOR, null);
    assertEquals(201, created.status(), created.toString());
    String id = created.json().getJsonObject("job").getString("id");
    assertEquals(200, http.get("/api/v1/jobs/" + id + "/", READER).status());
    awaitStatus(id, "Status.COMPLETED");
    assertEquals(200, http.post("/api/v1/jobs/cancel/" + id + "/", EXECUTOR, null).status());
    assertEquals(200, http.delete("/api/v1/jobs/" + id + "/", EDITOR).status());
  }

  @Test
  void getAllIsABareArrayInCreationOrderWithOptionalPages() {
    String a = createVia(EDITOR, "noop").getString("id");
    String b = createVia(EDITOR, "noop").getString("id");
    JsonArray all = http.get("/api/v1/jobs", READER).array();
    List<String> ids = all.stream().map(j -> j.asJsonObject().getString("id")).toList();
    assertTrue(ids.indexOf(a) >= 0 && ids.indexOf(a) < ids.indexOf(b), "oldest first");
    assertEquals(
        ((Number) Db.query("SELECT COUNT(*) AS n FROM job").get(0).get("n")).intValue(),
        all.size());
    JsonArray page = http.get("/api/v1/jobs?page=0&per_page=3", READER).array();
    assertEquals(3, page.size());
    assertEquals(all.getJsonObject(0).getString("id"), page.getJsonObject(0).getString("id"));
    assertEquals(
        all.getJsonObject(3).getString("id"),
        http.get("/api/v1/jobs?page=1&per_page=3", READER)
            .array()
            .getJsonObject(0)
            .getString("id"));
    assertMessage(http.get("/api/v1/jobs?per_page=0", READER), 400, null);
  }

  // ---- roles -------------------------------------------------------------------------------

  @Test
  void roleMatrix() {
    String id = createVia(ADMIN, "noop").getString("id");
    awaitStatus(id, "Status.COMPLETED");
    Map<String, String> tokens =
        Map.of(
            "READER",
            READER,
            "EDITOR",
            EDITOR,
            "EXECUTOR",
            EXECUTOR,
            "ADMIN",
            ADMIN,
            "manage_jobs",
            MATTERMOST);
    for (Map.Entry<String, String> t : tokens.entrySet()) {
      String role = t.getKey();
      boolean taipy = !role.equals("manage_jobs");
      expect(http.get("/api/v1/jobs", t.getValue()), taipy, role + " list");
      expect(http.get("/api/v1/jobs/" + id, t.getValue()), taipy, role + " get");
      boolean editor = role.equals("EDITOR") || role.equals("ADMIN");
      expect(http.post("/api/v1/jobs?task_id=noop", t.getValue(), null), editor, role + " create");
      boolean executor = role.equals("EXECUTOR") || role.equals("ADMIN");
      expect(
          http.post("/api/v1/jobs/cancel/" + id, t.getValue(), null), executor, role + " cancel");
    }
    // delete: EDITOR or ADMIN
    assertMessage(http.delete("/api/v1/jobs/" + id, READER), 403, null);
    assertMessage(http.delete("/api/v1/jobs/" + id, EXECUTOR), 403, null);
    assertMessage(http.delete("/api/v1/jobs/" + id, MATTERMOST), 403, null);
    assertEquals(200, http.delete("/api/v1/jobs/" + id, ADMIN).status());
  }

  private static void expect(Http.Reply r, boolean allowed, String what) {
    if (allowed) {
      assertTrue(r.status() == 200 || r.status() == 201, what + ": " + r);
    } else {
      assertMessage(r, 403, "You do not have the appropriate permissions.");
    }
  }

  @Test
  void unauthenticatedIs401WithAMessage() {
    for (String token :
        new String[] {
          null,
          "garbage",
          TestTokens.expired("TAIPY_ADMIN"),
          TestTokens.forged("TAIPY_ADMIN"),
          TestTokens.algNone("TAIPY_ADMIN"),
          TestTokens.foreignIssuer("TAIPY_ADMIN")
        }) {
      assertMessage(http.get("/api/v1/jobs", token), 401, null);
      assertMessage(http.post("/api/v1/jobs?task_id=noop", token, null), 401, null);
    }
  }

  // ---- one store ---------------------------------------------------------------------------

  @Test
  void jobsAreVisibleThroughBothApisWithConsistentStatus() {
    String v1 = createVia(EDITOR, "noop").getString("id");
    ItSupport.awaitStatus(http, v1, "success", 10_000);
    assertEquals(
        "Status.COMPLETED",
        http.get("/api/v1/jobs/" + v1, READER).json().getJsonObject("job").getString("status"));
    String v4 =
        http.post(
                "/api/v4/jobs",
                MATTERMOST,
                "{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"20000\"}}")
            .json()
            .getString("id");
    ItSupport.awaitStatus(http, v4, "in_progress", 10_000);
    JsonObject seen = http.get("/api/v1/jobs/" + v4, READER).json().getJsonObject("job");
    assertEquals("Status.RUNNING", seen.getString("status"));
    assertEquals("TASK_sleep_", seen.getString("task_id").substring(0, 11));
    assertEquals(200, http.post("/api/v1/jobs/cancel/" + v4, EXECUTOR, null).status());
    ItSupport.awaitStatus(http, v4, "canceled", 3_000);
    Set<String> listed =
        http.get("/api/v1/jobs", READER).array().stream()
            .map(j -> j.asJsonObject().getString("id"))
            .collect(Collectors.toSet());
    assertTrue(listed.contains(v1) && listed.contains(v4));
  }
}
