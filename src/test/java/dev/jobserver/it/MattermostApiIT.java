package dev.jobserver.it;

import static dev.jobserver.it.ItSupport.ADMIN;
import static dev.jobserver.it.ItSupport.READER;
import static dev.jobserver.it.ItSupport.awaitStatus;
import static dev.jobserver.it.ItSupport.create;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The /api/v4/jobs contract of API.md, and the Common section, over HTTP against Payara Micro. */
class MattermostApiIT extends InServerTest {

  private static void assertAppError(Http.Reply r, int status, String id) {
    assertEquals(status, r.status(), r.toString());
    assertEquals("application/json", r.header("Content-Type"), "Content-Type of " + r);
    JsonObject e = r.json();
    assertEquals(id, e.getString("id"), r.toString());
    assertEquals(status, e.getInt("status_code"));
    assertFalse(e.getString("message").isEmpty());
    assertTrue(e.containsKey("detailed_error"));
    assertEquals(r.header("X-Request-Id"), e.getString("request_id"));
    assertFalse(e.getString("detailed_error").contains("at dev.jobserver"), "no stack traces");
  }

  // ---- Common ------------------------------------------------------------------------------

  @Test
  void everyBadTokenIs401WithAnAppError() {
    Map<String, String> tokens = new java.util.LinkedHashMap<>();
    tokens.put("none", null);
    tokens.put("garbage", "not-a-jwt");
    tokens.put("expired", TestTokens.expired("manage_jobs"));
    tokens.put("foreign issuer", TestTokens.foreignIssuer("manage_jobs"));
    tokens.put("forged", TestTokens.forged("manage_jobs"));
    tokens.put("alg none", TestTokens.algNone("manage_jobs"));
    for (Map.Entry<String, String> t : tokens.entrySet()) {
      for (String path : List.of("/api/v4/jobs", "/api/v4/jobs/types")) {
        Http.Reply r = http.get(path, t.getValue());
        assertEquals(401, r.status(), t.getKey() + " on " + path + ": " + r);
        assertAppError(r, 401, "api.context.session_expired.app_error");
      }
      Http.Reply post = http.post("/api/v4/jobs", t.getValue(), "{\"type\":\"noop\"}");
      assertAppError(post, 401, "api.context.session_expired.app_error");
    }
  }

  @Test
  void aSubjectLongerThanTheActorColumnStillCreates() throws Exception {
    String subject = "cn=" + "x".repeat(297);
    Http.Reply r =
        http.post("/api/v4/jobs", TestTokens.token(subject, "manage_jobs"), "{\"type\":\"noop\"}");
    assertEquals(201, r.status(), r.toString());
    assertEquals(
        subject.substring(0, 255),
        Db.query("SELECT actor FROM job_event WHERE job_id = ?", r.json().getString("id"))
            .get(0)
            .get("actor"));
  }

  @Test
  void concurrentCreatesEachRecordTheirOwnCaller() throws Exception {
    // the resources are application-scoped singletons: the caller must come from each request
    String[] subjects = {"dora", "erin", "finn", "gail"};
    ExecutorService pool = Executors.newFixedThreadPool(subjects.length);
    try {
      List<Future<String[]>> created = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        String subject = subjects[i % subjects.length];
        String token = TestTokens.token(subject, "manage_jobs");
        created.add(
            pool.submit(
                () -> {
                  Http.Reply r = http.post("/api/v4/jobs", token, "{\"type\":\"noop\"}");
                  assertEquals(201, r.status(), r.toString());
                  return new String[] {subject, r.json().getString("id")};
                }));
      }
      for (Future<String[]> f : created) {
        String[] sj = f.get();
        assertEquals(
            sj[0],
            Db.query("SELECT actor FROM job_event WHERE job_id = ?", sj[1]).get(0).get("actor"));
        assertEquals(
            sj[0],
            Db.query("SELECT created_by FROM job WHERE id = ?", sj[1]).get(0).get("created_by"));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTokenOnceAcceptedIsStillRefusedWhenAlteredOrExpired() throws Exception {
    // Verified tokens are remembered (security.VerifiedTokens); this is what must still hold.
    // 10 s: the steps before the expiry take a few seconds on a loaded machine
    String token = TestTokens.expiringIn(10, "carol", "manage_jobs");
    long expiresAt = System.currentTimeMillis() + 10_000;
    assertEquals(200, http.get("/api/v4/jobs?per_page=1", token).status());
    assertEquals(200, http.get("/api/v4/jobs?per_page=1", token).status());
    Http.Reply created = http.post("/api/v4/jobs", token, "{\"type\":\"noop\"}");
    assertEquals(201, created.status(), created.toString());
    assertEquals(
        "carol",
        Db.query("SELECT actor FROM job_event WHERE job_id = ?", created.json().getString("id"))
            .get(0)
            .get("actor"),
        "a remembered token still names its caller");
    // the same header and claims with one signature character changed (mid-signature: the last
    // character of base64url may carry only padding bits)
    int sig = token.lastIndexOf('.') + 20;
    String altered =
        token.substring(0, sig) + (token.charAt(sig) == 'A' ? 'B' : 'A') + token.substring(sig + 1);
    assertAppError(
        http.get("/api/v4/jobs?per_page=1", altered), 401, "api.context.session_expired.app_error");
    // a remembered token without the role it lacks
    String reader = TestTokens.expiringIn(60, "dave", "read_jobs");
    assertEquals(200, http.get("/api/v4/jobs?per_page=1", reader).status());
    assertEquals(403, http.post("/api/v4/jobs", reader, "{\"type\":\"noop\"}").status());
    assertEquals(403, http.post("/api/v4/jobs", reader, "{\"type\":\"noop\"}").status());
    // after its exp (JWT times are whole seconds) it is refused, remembered or not
    Thread.sleep(Math.max(0, expiresAt - System.currentTimeMillis()) + 1500);
    assertAppError(
        http.get("/api/v4/jobs?per_page=1", token), 401, "api.context.session_expired.app_error");
  }

  @Test
  void theBearerSchemeIsCaseInsensitiveAsTheMattermostClientSendsIt() {
    // Client4 sends "Authorization: BEARER <token>"
    for (String scheme : List.of("BEARER", "bearer", "BeArEr")) {
      Http.Reply ok =
          http.send(
              "GET",
              "/api/v4/jobs?per_page=1",
              null,
              null,
              Map.of("Authorization", scheme + " " + ADMIN));
      assertEquals(200, ok.status(), scheme + ": " + ok);
      Http.Reply created =
          http.send(
              "POST",
              "/api/v4/jobs",
              null,
              "{\"type\":\"noop\"}",
              Map.of("Authorization", scheme + " " + ADMIN, "Content-Type", "application/json"));
      assertEquals(201, created.status(), scheme + ": " + created);
      assertEquals(
          "alice",
          Db.query("SELECT actor FROM job_event WHERE job_id = ?", created.json().getString("id"))
              .get(0)
              .get("actor"));
    }
    // the token is still checked
    assertAppError(
        http.send(
            "GET",
            "/api/v4/jobs",
            null,
            null,
            Map.of("Authorization", "BEARER " + TestTokens.forged("manage_jobs"))),
        401,
        "api.context.session_expired.app_error");
    assertAppError(
        http.send(
            "GET",
            "/api/v4/jobs",
            null,
            null,
            Map.of("Authorization", "BEARER " + TestTokens.token("x", "TAIPY_READER"))),
        403,
        "api.context.permissions.app_error");
  }

  @Test
  void aValidTokenWithoutTheRoleIs403() {
    String taipyOnly = TestTokens.token("tom", "TAIPY_ADMIN");
    assertAppError(http.get("/api/v4/jobs", taipyOnly), 403, "api.context.permissions.app_error");
    assertAppError(
        http.post("/api/v4/jobs", taipyOnly, "{\"type\":\"noop\"}"),
        403,
        "api.context.permissions.app_error");
    String noGroups = TestTokens.token("nobody");
    assertAppError(http.get("/api/v4/jobs", noGroups), 403, "api.context.permissions.app_error");
  }

  @Test
  void readJobsMayReadButNotWrite() {
    JsonObject job = create(http, "noop", null);
    assertEquals(200, http.get("/api/v4/jobs", READER).status());
    assertEquals(200, http.get("/api/v4/jobs/" + job.getString("id"), READER).status());
    assertEquals(200, http.get("/api/v4/jobs/type/noop", READER).status());
    assertAppError(
        http.post("/api/v4/jobs", READER, "{\"type\":\"noop\"}"),
        403,
        "api.context.permissions.app_error");
    assertAppError(
        http.post("/api/v4/jobs/" + job.getString("id") + "/cancel", READER, ""),
        403,
        "api.context.permissions.app_error");
    assertAppError(
        http.patch(
            "/api/v4/jobs/" + job.getString("id") + "/status", READER, "{\"status\":\"pending\"}"),
        403,
        "api.context.permissions.app_error");
  }

  @Test
  void requestIdIsEchoedOrMade() {
    Http.Reply echoed =
        http.send("GET", "/api/v4/jobs", ADMIN, null, Map.of("X-Request-Id", "trace-123"));
    assertEquals("trace-123", echoed.header("X-Request-Id"));
    Http.Reply made = http.get("/api/v4/jobs", ADMIN);
    assertNotNull(made.header("X-Request-Id"));
    Http.Reply unauthorized =
        http.send("GET", "/api/v4/jobs", null, null, Map.of("X-Request-Id", "trace-401"));
    assertEquals("trace-401", unauthorized.header("X-Request-Id"));
    assertEquals("trace-401", unauthorized.json().getString("request_id"));
  }

  @Test
  void bodiesOverOneMebibyteAre413() {
    String big = "{\"type\":\"noop\",\"data\":{\"x\":\"" + "a".repeat(1024 * 1024) + "\"}}";
    Http.Reply r = http.post("/api/v4/jobs", ADMIN, big);
    assertEquals(413, r.status(), r.toString().substring(0, 100));
    assertEquals("application/json", r.header("Content-Type"));
    assertEquals(413, r.json().getInt("status_code"));
    // without a Content-Length (chunked), the cap holds where the body is read
    Http.Reply chunked =
        http.send("POST", "/api/v4/jobs", ADMIN, null, Map.of("Content-Type", "application/json"));
    assertEquals(400, chunked.status()); // empty body: malformed, not too large
    java.net.http.HttpRequest req =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "api/v4/jobs"))
            .header("Authorization", "Bearer " + ADMIN)
            .POST(
                java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                    () -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
            .build();
    try {
      var resp =
          java.net.http.HttpClient.newBuilder()
              .version(java.net.http.HttpClient.Version.HTTP_1_1)
              .build()
              .send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(413, resp.statusCode(), resp.body());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void malformedJsonIs400AndUnknownRoutesAre404() {
    assertAppError(
        http.post("/api/v4/jobs", ADMIN, "{\"type\":"),
        400,
        "api.context.invalid_body_param.app_error");
    assertAppError(
        http.post("/api/v4/jobs", ADMIN, "[1,2]"), 400, "api.context.invalid_body_param.app_error");
    Http.Reply r = http.get("/api/v4/nothing-here", ADMIN);
    assertEquals(404, r.status());
    assertEquals("application/json", r.header("Content-Type"));
    assertEquals(404, r.json().getInt("status_code"));
  }

  // ---- POST /api/v4/jobs -------------------------------------------------------------------

  @Test
  void createReturnsAPendingJobWithEveryField() {
    long before = System.currentTimeMillis();
    Http.Reply r =
        http.post(
            "/api/v4/jobs",
            ADMIN,
            "{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"5000\",\"note\":\"x\"}}");
    assertEquals(201, r.status(), r.toString());
    assertEquals("application/json", r.header("Content-Type"));
    JsonObject job = r.json();
    assertEquals(
        Set.of(
            "id",
            "type",
            "priority",
            "create_at",
            "start_at",
            "last_activity_at",
            "status",
            "progress",
            "data"),
        job.keySet());
    assertTrue(job.getString("id").matches("[a-z0-9]{26}"), job.getString("id"));
    assertEquals("sleep", job.getString("type"));
    assertEquals("pending", job.getString("status"));
    assertTrue(job.getJsonNumber("create_at").longValue() >= before - 1000);
    assertEquals(0, job.getJsonNumber("start_at").longValue());
    assertEquals("5000", job.getJsonObject("data").getString("duration_ms"));
    // the database has the job and its creation event, by the token's subject
    List<Map<String, Object>> events =
        Db.query(
            "SELECT actor, old_status, new_status FROM job_event WHERE job_id = ? ORDER BY id",
            job.getString("id"));
    assertEquals("alice", events.get(0).get("actor"));
    assertEquals("PENDING", events.get(0).get("new_status"));
    http.post("/api/v4/jobs/" + job.getString("id") + "/cancel", ADMIN, "");
  }

  @Test
  void createWithoutDataHasEmptyData() {
    JsonObject job = create(http, "noop", null);
    assertEquals(JsonValue.ValueType.OBJECT, job.get("data").getValueType());
    assertTrue(job.getJsonObject("data").isEmpty());
    JsonObject withNull = create(http, "noop", "null");
    assertTrue(withNull.getJsonObject("data").isEmpty());
  }

  @Test
  void createRejectsBadBodiesAndUnknownTypes() {
    assertAppError(
        http.post("/api/v4/jobs", ADMIN, "{\"type\":\"noop\",\"data\":{\"n\":1}}"),
        400,
        "api.context.invalid_body_param.app_error");
    assertAppError(
        http.post("/api/v4/jobs", ADMIN, "{\"type\":\"noop\",\"data\":[\"a\"]}"),
        400,
        "api.context.invalid_body_param.app_error");
    assertAppError(
        http.post("/api/v4/jobs", ADMIN, "not json"),
        400,
        "api.context.invalid_body_param.app_error");
    assertAppError(
        http.post("/api/v4/jobs", ADMIN, "{\"type\":\"no_such_type\"}"),
        400,
        "api.job.unable_to_create_job.incorrect_job_type");
    assertAppError(
        http.post("/api/v4/jobs", ADMIN, "{\"data\":{}}"),
        400,
        "api.job.unable_to_create_job.incorrect_job_type");
    assertAppError(
        http.post("/api/v4/jobs", ADMIN, "{\"type\":\"noop\",\"priority\":\"high\"}"),
        400,
        "api.context.invalid_body_param.app_error");
  }

  // ---- GET /api/v4/jobs, /type/{type} ------------------------------------------------------

  @Test
  void listIsNewestFirstAndPaged() {
    String a = create(http, "noop", null).getString("id");
    ItSupport.sleep(5);
    String b = create(http, "noop", null).getString("id");
    ItSupport.sleep(5);
    String c = create(http, "noop", null).getString("id");
    JsonArray first = http.get("/api/v4/jobs?per_page=2", ADMIN).array();
    assertEquals(2, first.size());
    assertEquals(c, first.getJsonObject(0).getString("id"));
    assertEquals(b, first.getJsonObject(1).getString("id"));
    JsonArray second = http.get("/api/v4/jobs?per_page=2&page=1", ADMIN).array();
    assertEquals(a, second.getJsonObject(0).getString("id"));
    // bad or negative values fall back to the defaults (page 0, 60 per page)
    JsonArray fallback = http.get("/api/v4/jobs?per_page=abc&page=-3", ADMIN).array();
    assertEquals(c, fallback.getJsonObject(0).getString("id"));
    assertEquals(Math.min(60, count()), fallback.size());
  }

  @Test
  void listTiesAreOrderedByIdDescending() {
    long at = System.currentTimeMillis() + 3_600_000; // newest of all
    Db.update(
        "INSERT INTO job (id, type, create_at, status, data) VALUES (?, 'noop', ?, 'COMPLETED', '{}')",
        "aaaaaaaaaaaaaaaaaaaaaaaaaa",
        at);
    Db.update(
        "INSERT INTO job (id, type, create_at, status, data) VALUES (?, 'noop', ?, 'COMPLETED', '{}')",
        "zzzzzzzzzzzzzzzzzzzzzzzzzz",
        at);
    JsonArray list = http.get("/api/v4/jobs?per_page=2", ADMIN).array();
    assertEquals("zzzzzzzzzzzzzzzzzzzzzzzzzz", list.getJsonObject(0).getString("id"));
    assertEquals("aaaaaaaaaaaaaaaaaaaaaaaaaa", list.getJsonObject(1).getString("id"));
    Db.update("DELETE FROM job WHERE create_at = ?", at);
  }

  /**
   * A listed job is the same JSON as the job read alone, data and all (lists copy it as stored).
   */
  @Test
  void aListedJobIsTheJobReadAlone() {
    String data =
        "{\"quote\":\"\\\"q\\\" \\\\ /\",\"\":\"empty key\",\"nul\":\"a\\u0000b\","
            + "\"emoji\":\"\\ud83d\\ude00\",\"crlf\":\"1\\r\\n2\"}";
    JsonObject created = ItSupport.create(http, "noop", data);
    String id = created.getString("id");
    JsonObject alone = http.get("/api/v4/jobs/" + id, ADMIN).json();
    JsonObject listed =
        http.get("/api/v4/jobs?per_page=200", ADMIN).array().stream()
            .map(JsonValue::asJsonObject)
            .filter(j -> j.getString("id").equals(id))
            .findFirst()
            .orElseThrow(() -> new AssertionError(id + " not listed"));
    assertEquals(alone.getJsonObject("data"), listed.getJsonObject("data"));
    assertEquals("\"q\" \\ /", listed.getJsonObject("data").getString("quote"));
    assertEquals("a\u0000b", listed.getJsonObject("data").getString("nul"));
    assertEquals(alone.keySet(), listed.keySet());
    assertEquals(alone.getString("type"), listed.getString("type"));
    assertEquals(alone.getInt("priority"), listed.getInt("priority"));
  }

  @Test
  void perPageIsCappedAt200() {
    long at = System.currentTimeMillis() - 86_400_000L;
    for (int i = 0; i < 205; i++) {
      Db.update(
          "INSERT INTO job (id, type, create_at, status, data) VALUES (?, 'noop', ?, 'COMPLETED', '{}')",
          String.format("cap%023d", i),
          at);
    }
    assertEquals(200, http.get("/api/v4/jobs?per_page=500", ADMIN).array().size());
    assertEquals(0, http.get("/api/v4/jobs?per_page=0", ADMIN).array().size());
    Db.update("DELETE FROM job WHERE id LIKE 'cap%'");
  }

  @Test
  void listFiltersByTypeAndStatus() {
    String done = create(http, "noop", null).getString("id");
    awaitStatus(http, done, "success", 10_000);
    JsonArray noops =
        http.get("/api/v4/jobs?job_type=noop&status=success&per_page=200", ADMIN).array();
    assertTrue(
        noops.stream()
            .map(JsonValue::asJsonObject)
            .allMatch(
                j ->
                    j.getString("type").equals("noop") && j.getString("status").equals("success")));
    assertTrue(ids(noops).contains(done));
    assertEquals(
        "[]", http.get("/api/v4/jobs?job_type=data_retention&status=warning", ADMIN).body());
    assertAppError(
        http.get("/api/v4/jobs?job_type=no_such_type", ADMIN),
        400,
        "api.context.invalid_url_param.app_error");
    assertAppError(http.get("/api/v4/jobs?status=finished", ADMIN), 400, "api.job.status.invalid");
    JsonArray byType = http.get("/api/v4/jobs/type/noop?per_page=5", ADMIN).array();
    assertTrue(byType.size() > 0 && byType.size() <= 5);
    assertTrue(byType.stream().allMatch(j -> j.asJsonObject().getString("type").equals("noop")));
    assertAppError(
        http.get("/api/v4/jobs/type/" + "a".repeat(33), ADMIN),
        400,
        "api.context.invalid_url_param.app_error");
    assertAppError(
        http.get("/api/v4/jobs/type/no_such_type", ADMIN),
        400,
        "api.context.invalid_url_param.app_error");
  }

  // ---- GET /api/v4/jobs/{id} ---------------------------------------------------------------

  @Test
  void getByIdAndItsErrors() {
    JsonObject job = create(http, "noop", "{\"k\":\"v\"}");
    JsonObject done = awaitStatus(http, job.getString("id"), "success", 10_000);
    assertEquals(100, done.getInt("progress"));
    assertTrue(
        done.getJsonNumber("start_at").longValue() >= job.getJsonNumber("create_at").longValue());
    assertEquals("v", done.getJsonObject("data").getString("k"));
    assertAppError(
        http.get("/api/v4/jobs/short", ADMIN), 400, "api.context.invalid_url_param.app_error");
    assertAppError(
        http.get("/api/v4/jobs/AAAAAAAAAAAAAAAAAAAAAAAAAA", ADMIN),
        400,
        "api.context.invalid_url_param.app_error");
    assertAppError(
        http.get("/api/v4/jobs/abcdefghijklmnopqrstuvwxyz", ADMIN), 404, "app.job.get.app_error");
    assertAppError(
        http.get("/api/v4/jobs/JOB_noop_" + UUID.randomUUID(), ADMIN),
        404,
        "app.job.get.app_error");
    assertEquals(
        List.of("null>PENDING", "PENDING>RUNNING", "RUNNING>COMPLETED"),
        Db.transitions(job.getString("id")));
  }

  @Test
  void aFailedJobHasItsErrorAndProgressMinusOne() {
    JsonObject job = create(http, "sleep", "{\"duration_ms\":\"10\",\"fail\":\"disk on fire\"}");
    JsonObject failed = awaitStatus(http, job.getString("id"), "error", 10_000);
    assertEquals("disk on fire", failed.getJsonObject("data").getString("error"));
    assertEquals(-1, failed.getInt("progress"));
    String trace =
        (String)
            Db.query("SELECT stacktrace FROM job WHERE id = ?", job.getString("id"))
                .get(0)
                .get("stacktrace");
    assertTrue(trace.contains("disk on fire") && trace.contains("SleepHandler"), trace);
  }

  // ---- cancel ------------------------------------------------------------------------------

  @Test
  void cancelPendingRunningFinishedAndMissing() {
    // a job that is not due yet stays pending
    String waiting = "w" + "0".repeat(25);
    Db.update(
        "INSERT INTO job (id, type, create_at, status, data, run_after) VALUES (?, 'noop', ?, 'PENDING', '{}', ?)",
        waiting,
        System.currentTimeMillis(),
        Long.MAX_VALUE / 2);
    Http.Reply ok = http.post("/api/v4/jobs/" + waiting + "/cancel", ADMIN, "");
    assertEquals(200, ok.status(), ok.toString());
    assertEquals("{\"status\":\"OK\"}", ok.body());
    assertEquals("application/json", ok.header("Content-Type"));
    assertEquals("canceled", http.get("/api/v4/jobs/" + waiting, ADMIN).json().getString("status"));

    JsonObject running = create(http, "sleep", "{\"duration_ms\":\"30000\"}");
    awaitStatus(http, running.getString("id"), "in_progress", 10_000);
    long asked = System.currentTimeMillis();
    assertEquals(
        200, http.post("/api/v4/jobs/" + running.getString("id") + "/cancel", ADMIN, "").status());
    awaitStatus(http, running.getString("id"), "canceled", 3_000);
    assertTrue(System.currentTimeMillis() - asked < 3_000);
    assertEquals(
        List.of(
            "null>PENDING",
            "PENDING>RUNNING",
            "RUNNING>CANCEL_REQUESTED",
            "CANCEL_REQUESTED>CANCELED"),
        Db.transitions(running.getString("id")));

    assertAppError(
        http.post("/api/v4/jobs/" + running.getString("id") + "/cancel", ADMIN, ""),
        409,
        "jobs.request_cancellation.status.error");
    assertAppError(
        http.post("/api/v4/jobs/abcdefghijklmnopqrstuvwxyz/cancel", ADMIN, ""),
        404,
        "app.job.get.app_error");
    assertAppError(
        http.post("/api/v4/jobs/bad/cancel", ADMIN, ""),
        400,
        "api.context.invalid_url_param.app_error");
  }

  // ---- PATCH status ------------------------------------------------------------------------

  @Test
  void patchStatusFollowsTheRules() {
    String id = create(http, "sleep", "{\"duration_ms\":\"30000\"}").getString("id");
    awaitStatus(http, id, "in_progress", 10_000);
    // requeue: the run is stopped and the job runs again
    assertEquals(
        200,
        http.patch("/api/v4/jobs/" + id + "/status", ADMIN, "{\"status\":\"pending\"}").status());
    ItSupport.await(
        http, id, j -> j.getString("status").equals("in_progress") && attempt(id) == 2, 10_000);
    // in_progress -> cancel_requested -> canceled
    assertEquals(
        200,
        http.patch("/api/v4/jobs/" + id + "/status", ADMIN, "{\"status\":\"cancel_requested\"}")
            .status());
    awaitStatus(http, id, "canceled", 3_000);
    List<String> t = Db.transitions(id);
    assertEquals(
        List.of(
            "null>PENDING",
            "PENDING>RUNNING",
            "RUNNING>PENDING",
            "PENDING>RUNNING",
            "RUNNING>CANCEL_REQUESTED",
            "CANCEL_REQUESTED>CANCELED"),
        t);

    // finished -> pending needs force
    assertAppError(
        http.patch("/api/v4/jobs/" + id + "/status", ADMIN, "{\"status\":\"pending\"}"),
        400,
        "api.job.status.invalid");
    assertAppError(
        http.patch(
            "/api/v4/jobs/" + id + "/status", ADMIN, "{\"status\":\"success\",\"force\":true}"),
        400,
        "api.job.status.invalid");
    assertAppError(
        http.patch("/api/v4/jobs/" + id + "/status", ADMIN, "{\"status\":\"bogus\"}"),
        400,
        "api.job.status.invalid");
    assertAppError(
        http.patch("/api/v4/jobs/" + id + "/status", ADMIN, "{\"force\":true}"),
        400,
        "api.context.invalid_body_param.app_error");
    assertAppError(
        http.patch("/api/v4/jobs/" + id + "/status", ADMIN, "{oops"),
        400,
        "api.context.invalid_body_param.app_error");
    assertAppError(
        http.patch(
            "/api/v4/jobs/abcdefghijklmnopqrstuvwxyz/status", ADMIN, "{\"status\":\"pending\"}"),
        404,
        "app.job.get.app_error");

    // a pending job asked to cancel ends canceled at once
    String waiting = "p" + "0".repeat(25);
    Db.update(
        "INSERT INTO job (id, type, create_at, status, data, run_after) VALUES (?, 'noop', ?, 'PENDING', '{}', ?)",
        waiting,
        System.currentTimeMillis(),
        Long.MAX_VALUE / 2);
    assertEquals(
        200,
        http.patch(
                "/api/v4/jobs/" + waiting + "/status", ADMIN, "{\"status\":\"cancel_requested\"}")
            .status());
    assertEquals("canceled", http.get("/api/v4/jobs/" + waiting, ADMIN).json().getString("status"));

    // forced: a finished job runs again
    String done = create(http, "noop", null).getString("id");
    awaitStatus(http, done, "success", 10_000);
    assertEquals(
        200,
        http.patch(
                "/api/v4/jobs/" + done + "/status",
                ADMIN,
                "{\"status\":\"pending\",\"force\":true}")
            .status());
    ItSupport.await(
        http, done, j -> j.getString("status").equals("success") && attempt(done) == 2, 10_000);
  }

  // ---- download ----------------------------------------------------------------------------

  @Test
  void downloadServesTheResultWithRanges() {
    String marker = create(http, "noop", "{\"marker\":\"export-me\"}").getString("id");
    awaitStatus(http, marker, "success", 10_000);
    String export =
        create(http, "job_export", "{\"type\":\"noop\",\"status\":\"success\"}").getString("id");
    JsonObject done = awaitStatus(http, export, "success", 20_000);
    Http.Reply whole = http.get("/api/v4/jobs/" + export + "/download", READER);
    assertEquals(200, whole.status(), whole.toString());
    assertEquals(
        "text/csv;charset=utf-8", whole.header("Content-Type").replace(" ", "").toLowerCase());
    assertTrue(
        whole
            .header("Content-Disposition")
            .startsWith("attachment; filename=\"jobs-" + export + ".csv\""));
    assertNotNull(whole.header("Last-Modified"));
    assertEquals(Integer.toString(whole.bytes().length), whole.header("Content-Length"));
    String csv = whole.body();
    assertTrue(csv.startsWith("id,type,status,"), csv);
    assertTrue(csv.contains(marker + ",noop,COMPLETED"), csv);
    assertEquals(
        Long.parseLong(done.getJsonObject("data").getString("exported")) + 1, csv.lines().count());

    Http.Reply part =
        http.send(
            "GET",
            "/api/v4/jobs/" + export + "/download",
            ADMIN,
            null,
            Map.of("Range", "bytes=3-9"));
    assertEquals(206, part.status());
    assertArrayEquals(java.util.Arrays.copyOfRange(whole.bytes(), 3, 10), part.bytes());
    assertEquals("bytes 3-9/" + whole.bytes().length, part.header("Content-Range"));
    Http.Reply tail =
        http.send(
            "GET",
            "/api/v4/jobs/" + export + "/download",
            ADMIN,
            null,
            Map.of("Range", "bytes=-5"));
    assertArrayEquals(
        java.util.Arrays.copyOfRange(whole.bytes(), whole.bytes().length - 5, whole.bytes().length),
        tail.bytes());
    Http.Reply outside =
        http.send(
            "GET",
            "/api/v4/jobs/" + export + "/download",
            ADMIN,
            null,
            Map.of("Range", "bytes=999999999-"));
    assertEquals(416, outside.status());

    assertAppError(
        http.get("/api/v4/jobs/" + marker + "/download", ADMIN),
        400,
        "api.job.unable_to_download_job");
    assertAppError(
        http.get("/api/v4/jobs/abcdefghijklmnopqrstuvwxyz/download", ADMIN),
        404,
        "app.job.get.app_error");
  }

  // ---- job types, OpenAPI ------------------------------------------------------------------

  @Test
  void jobTypesAreListed() {
    JsonArray types = http.get("/api/v4/jobs/types", TestTokens.token("t", "TAIPY_READER")).array();
    Set<String> names =
        types.stream().map(t -> t.asJsonObject().getString("type")).collect(Collectors.toSet());
    assertTrue(
        names.containsAll(Set.of("noop", "sleep", "job_export", "data_retention")),
        names.toString());
    JsonObject sleep =
        types.stream()
            .map(JsonValue::asJsonObject)
            .filter(t -> t.getString("type").equals("sleep"))
            .findFirst()
            .orElseThrow();
    assertTrue(sleep.getString("task_id").matches("TASK_sleep_[0-9a-f-]{36}"));
  }

  @Test
  void openApiDocumentsTheEndpointsAndBearerScheme() throws Exception {
    URL root = new URL(base, "/openapi");
    Http.Reply r = new Http(root.toString()).get("", null);
    assertEquals(200, r.status());
    String doc = r.body();
    for (String expected :
        List.of(
            "/api/v4/jobs",
            "/api/v4/jobs/{id}",
            "/api/v4/jobs/{id}/download",
            "/api/v4/jobs/{id}/cancel",
            "/api/v4/jobs/type/{type}",
            "/api/v4/jobs/{id}/status",
            "bearer",
            "Create a job")) {
      assertTrue(doc.contains(expected), "OpenAPI lacks " + expected);
    }
    List<String> operationIds =
        doc.lines().map(String::trim).filter(l -> l.startsWith("operationId:")).toList();
    // 14 of v4, v1 and the sign-in settings; the native API adds its own
    assertTrue(operationIds.size() >= 14, operationIds.toString());
    assertEquals(
        operationIds.size(),
        Set.copyOf(operationIds).size(),
        "operationIds repeat: " + operationIds);
    assertTrue(operationIds.contains("operationId: createJob"), operationIds.toString());
  }

  private static int attempt(String id) {
    return ((Number) Db.query("SELECT attempt FROM job WHERE id = ?", id).get(0).get("attempt"))
        .intValue();
  }

  private static long count() {
    return ((Number) Db.query("SELECT COUNT(*) AS n FROM job").get(0).get("n")).longValue();
  }

  private static Set<String> ids(JsonArray jobs) {
    return jobs.stream().map(j -> j.asJsonObject().getString("id")).collect(Collectors.toSet());
  }
}
