package dev.jobserver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.net.URL;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The native API /api/jobserver/v1 of API.md, over HTTP against Payara Micro. */
class NativeApiIT extends InServerTest {

  private static final String API = "/api/jobserver/v1";

  /** W: may change jobs. */
  private static final String MANAGER = TestTokens.token("alice", "manage_jobs");

  private static final String TAIPY_ADMIN = TestTokens.token("tara", "TAIPY_ADMIN");

  /** R only. */
  private static final String READER = TestTokens.token("rita", "read_jobs");

  private static final String TAIPY_READER = TestTokens.token("tom", "TAIPY_READER");
  private static final String TAIPY_EDITOR = TestTokens.token("ed", "TAIPY_EDITOR");
  private static final String TAIPY_EXECUTOR = TestTokens.token("exe", "TAIPY_EXECUTOR");

  /** A valid token with none of our roles. */
  private static final String STRANGER = TestTokens.token("sam", "other_app");

  private static final List<String> WRITERS = List.of(MANAGER, TAIPY_ADMIN);
  private static final List<String> READ_ONLY =
      List.of(READER, TAIPY_READER, TAIPY_EDITOR, TAIPY_EXECUTOR);

  private static final Set<String> JOB_FIELDS =
      Set.of(
          "id",
          "type",
          "status",
          "priority",
          "data",
          "progress",
          "attempt",
          "max_attempts",
          "created_at",
          "run_at",
          "started_at",
          "finished_at",
          "updated_at",
          "created_by",
          "error",
          "depends_on",
          "schedule_id",
          "result");

  private static final String ISO = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z";

  // ---- helpers -------------------------------------------------------------------------------

  private JsonObject createJob(String body) {
    Http.Reply r = http.post(API + "/jobs", MANAGER, body);
    assertEquals(201, r.status(), r.toString());
    return r.json();
  }

  private JsonObject job(String id) {
    Http.Reply r = http.get(API + "/jobs/" + id, READER);
    assertEquals(200, r.status(), r.toString());
    return r.json();
  }

  private JsonObject awaitJob(String id, Predicate<JsonObject> condition, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    JsonObject last = null;
    while (System.currentTimeMillis() < deadline) {
      last = job(id);
      if (condition.test(last)) {
        return last;
      }
      ItSupport.sleep(25);
    }
    return fail("job " + id + " did not get there in " + timeoutMs + " ms; last: " + last);
  }

  private JsonObject awaitStatus(String id, String status) {
    return awaitJob(id, j -> j.getString("status").equals(status), 20_000);
  }

  private static void assertError(Http.Reply r, int status, String messageStart) {
    assertEquals(status, r.status(), r.toString());
    assertEquals("application/json", r.header("Content-Type"), "Content-Type of " + r);
    JsonObject e = r.json();
    assertEquals(Set.of("message", "request_id"), e.keySet(), r.toString());
    assertEquals(r.header("X-Request-Id"), e.getString("request_id"));
    assertTrue(
        e.getString("message").startsWith(messageStart),
        "expected a message starting with '" + messageStart + "': " + r);
    assertFalse(e.getString("message").contains("at dev.jobserver"), "no stack traces");
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Every page of a search, following next_cursor; each page at most {@code limit} jobs. */
  private List<JsonObject> allPages(String query, int limit) {
    List<JsonObject> out = new ArrayList<>();
    String cursor = null;
    for (int page = 0; page < 1000; page++) {
      Http.Reply r =
          http.get(
              API
                  + "/jobs?limit="
                  + limit
                  + (query.isEmpty() ? "" : "&" + query)
                  + (cursor == null ? "" : "&cursor=" + enc(cursor)),
              READER);
      assertEquals(200, r.status(), r.toString());
      JsonObject body = r.json();
      JsonArray jobs = body.getJsonArray("jobs");
      assertTrue(jobs.size() <= limit, r.toString());
      jobs.forEach(j -> out.add(j.asJsonObject()));
      if (body.isNull("next_cursor")) {
        return out;
      }
      assertEquals(limit, jobs.size(), "a page before the last is full");
      cursor = body.getString("next_cursor");
    }
    return fail("more than 1000 pages");
  }

  private static List<String> ids(List<JsonObject> jobs) {
    return jobs.stream().map(j -> j.getString("id")).toList();
  }

  // ---- roles ---------------------------------------------------------------------------------

  @Test
  void everyRouteAnswersItsRolesAndRefusesEveryOtherCaller() {
    String finished = createJob("{\"type\":\"noop\"}").getString("id");
    awaitStatus(finished, "completed");
    String missing = "abcdefghijklmnopqrstuvwxyz";
    // method, path, body, writes?, status for an allowed caller (a missing job is fine: 404)
    List<Object[]> routes =
        List.of(
            new Object[] {"GET", API + "/jobs", null, false, 200},
            new Object[] {"GET", API + "/jobs/" + finished, null, false, 200},
            new Object[] {"GET", API + "/jobs/" + finished + "/events", null, false, 200},
            new Object[] {"GET", API + "/jobs/" + finished + "/result", null, false, 404},
            new Object[] {"GET", API + "/stats", null, false, 200},
            new Object[] {"GET", API + "/types", null, false, 200},
            new Object[] {"GET", API + "/me", null, false, 200},
            new Object[] {"POST", API + "/jobs", "{\"type\":\"noop\"}", true, 201},
            new Object[] {"POST", API + "/jobs/" + missing + "/cancel", "", true, 404},
            new Object[] {"POST", API + "/jobs/" + missing + "/retry", "", true, 404},
            new Object[] {"DELETE", API + "/jobs/" + missing, null, true, 404});
    for (Object[] route : routes) {
      String method = (String) route[0];
      String path = (String) route[1];
      String body = (String) route[2];
      boolean writes = (boolean) route[3];
      int allowed = (int) route[4];
      Map<String, String> headers =
          body == null ? Map.of() : Map.of("Content-Type", "application/json");
      for (String token : WRITERS) {
        assertEquals(
            allowed, http.send(method, path, token, body, headers).status(), method + " " + path);
      }
      for (String token : READ_ONLY) {
        Http.Reply r = http.send(method, path, token, body, headers);
        if (writes) {
          assertError(r, 403, "");
        } else {
          assertEquals(allowed, r.status(), method + " " + path + ": " + r);
        }
      }
      assertError(http.send(method, path, STRANGER, body, headers), 403, "");
      for (String bad :
          java.util.Arrays.asList(
              null,
              "not-a-jwt",
              TestTokens.expired("manage_jobs"),
              TestTokens.forged("manage_jobs"))) {
        Http.Reply r = http.send(method, path, bad, body, headers);
        assertError(r, 401, "");
        assertEquals("Bearer", r.header("WWW-Authenticate"));
      }
    }
  }

  @Test
  void meSaysWhoCallsWhatRolesItHasAndWhetherItMayWrite() {
    JsonObject reader = http.get(API + "/me", READER).json();
    assertEquals("rita", reader.getString("subject"));
    assertEquals(List.of("read_jobs"), strings(reader.getJsonArray("roles")));
    assertFalse(reader.getBoolean("can_write"));
    JsonObject both =
        http.get(API + "/me", TestTokens.token("bo", "TAIPY_READER", "TAIPY_ADMIN", "other"))
            .json();
    assertEquals("bo", both.getString("subject"));
    assertEquals(
        Set.of("TAIPY_READER", "TAIPY_ADMIN"), Set.copyOf(strings(both.getJsonArray("roles"))));
    assertTrue(both.getBoolean("can_write"));
    assertTrue(http.get(API + "/me", MANAGER).json().getBoolean("can_write"));
  }

  private static List<String> strings(JsonArray a) {
    return a.getValuesAs(jakarta.json.JsonString.class).stream()
        .map(jakarta.json.JsonString::getString)
        .toList();
  }

  // ---- create and the job view ---------------------------------------------------------------

  @Test
  void aCreatedJobShowsEveryFieldAndWaitsForItsRunAt() {
    long runAt = System.currentTimeMillis() + 6000;
    Http.Reply r =
        http.post(
            API + "/jobs",
            MANAGER,
            "{\"type\":\"noop\",\"data\":{\"a\":\"1\"},\"priority\":-1000000,\"run_at\":"
                + runAt
                + ",\"max_attempts\":7,\"depends_on\":[],\"unknown\":true}");
    assertEquals(201, r.status(), r.toString());
    JsonObject job = r.json();
    assertEquals(JOB_FIELDS, job.keySet());
    String id = job.getString("id");
    assertTrue(id.matches("[a-z0-9]{26}"), id);
    assertTrue(r.header("Location").endsWith(API + "/jobs/" + id), r.header("Location"));
    assertEquals("noop", job.getString("type"));
    assertEquals("pending", job.getString("status"));
    assertEquals(-1_000_000, job.getInt("priority"));
    assertEquals(Map.of("a", "1"), stringMap(job.getJsonObject("data")));
    assertEquals(0, job.getInt("progress"));
    assertEquals(0, job.getInt("attempt"));
    assertEquals(7, job.getInt("max_attempts"));
    assertTrue(job.getString("created_at").matches(ISO), job.toString());
    assertEquals(runAt, Instant.parse(job.getString("run_at")).toEpochMilli());
    assertTrue(job.isNull("started_at"));
    assertTrue(job.isNull("finished_at"));
    assertEquals(job.getString("created_at"), job.getString("updated_at"));
    assertEquals("alice", job.getString("created_by"));
    assertTrue(job.isNull("error"));
    assertEquals(0, job.getJsonArray("depends_on").size());
    assertTrue(job.isNull("schedule_id"));
    assertTrue(job.isNull("result"));
    JsonObject fetched = job(id);
    if (System.currentTimeMillis() < runAt - 100) { // a slow request must not fail the test
      // the single-job view adds the failures' stack traces (none yet)
      assertEquals(0, fetched.getJsonArray("stacktrace").size());
      assertEquals(
          job,
          jakarta.json.Json.createObjectBuilder(fetched).remove("stacktrace").build(),
          "GET shows what POST answered");
    }
    assertEquals(
        runAt, Db.query("SELECT run_after FROM job WHERE id = ?", id).get(0).get("run_after"));

    ItSupport.sleep(1000);
    JsonObject waiting = job(id);
    if (System.currentTimeMillis() < runAt - 100) {
      assertEquals("pending", waiting.getString("status"), "not before its run_at");
    }
    JsonObject done = awaitStatus(id, "completed");
    long started = Instant.parse(done.getString("started_at")).toEpochMilli();
    assertTrue(started >= runAt, done.toString());
    assertTrue(done.getString("finished_at").matches(ISO));
    assertEquals(done.getString("finished_at"), done.getString("updated_at"));
    assertEquals(1, done.getInt("attempt"));
    assertEquals(100, done.getInt("progress"));
    assertEquals(7, done.getInt("max_attempts"));
  }

  private static Map<String, String> stringMap(JsonObject o) {
    Map<String, String> m = new LinkedHashMap<>();
    o.forEach((k, v) -> m.put(k, ((jakarta.json.JsonString) v).getString()));
    return m;
  }

  @Test
  void aBadCreateIsA400NamingTheField() {
    Map<String, String> bodies = new LinkedHashMap<>();
    bodies.put("not json", "body:");
    bodies.put("[1]", "body:");
    bodies.put("{}", "type:");
    bodies.put("{\"type\":\"nope\"}", "type:");
    bodies.put("{\"type\":7}", "type:");
    bodies.put("{\"type\":\"noop\",\"data\":\"x\"}", "data:");
    bodies.put("{\"type\":\"noop\",\"data\":{\"n\":1}}", "data.n:");
    // a lone surrogate (JSON can escape one) cannot be stored as sent: refused, never altered
    bodies.put("{\"type\":\"noop\",\"data\":{\"a\":\"x\\ud800y\"}}", "data.a: has a lone UTF-16");
    bodies.put("{\"type\":\"noop\",\"data\":{\"\\udc00\":\"v\"}}", "data: has a key with a lone");
    bodies.put("{\"type\":\"noop\",\"priority\":1000001}", "priority:");
    bodies.put("{\"type\":\"noop\",\"priority\":18446744073709551617}", "priority:");
    bodies.put("{\"type\":\"noop\",\"priority\":0.5}", "priority:");
    bodies.put("{\"type\":\"noop\",\"run_at\":\"tomorrow\"}", "run_at:");
    bodies.put("{\"type\":\"noop\",\"run_at\":-1}", "run_at:");
    bodies.put("{\"type\":\"noop\",\"max_attempts\":0}", "max_attempts:");
    bodies.put("{\"type\":\"noop\",\"max_attempts\":101}", "max_attempts:");
    bodies.put(
        "{\"type\":\"noop\",\"depends_on\":[\"abcdefghijklmnopqrstuvwxyz\"]}", "depends_on:");
    for (Map.Entry<String, String> e : bodies.entrySet()) {
      assertError(http.post(API + "/jobs", MANAGER, e.getKey()), 400, e.getValue());
    }
    assertError(
        http.post(API + "/jobs", MANAGER, "{\"type\":\"noop\",\"depends_on\":[\"x\"]}"),
        400,
        "depends_on: '\"x\"' is not a job id");
    assertError(
        http.post(
            API + "/jobs",
            MANAGER,
            "{\"type\":\"noop\",\"depends_on\":[\"abcdefghijklmnopqrstuvwxyz\"]}"),
        400,
        "depends_on: job abcdefghijklmnopqrstuvwxyz does not exist");
    assertError(
        http.post(
            API + "/jobs",
            MANAGER,
            "{\"type\":\"noop\",\"data\":{\"k\":\"" + "x".repeat(1_100_000) + "\"}}"),
        413,
        "");
  }

  @Test
  void aRunsEventsSayWhoDidWhatAndItsResultDownloads() {
    String id = createJob("{\"type\":\"test_result\",\"data\":{\"ms\":\"0\"}}").getString("id");
    JsonObject done = awaitStatus(id, "completed");
    JsonObject result = done.getJsonObject("result");
    assertEquals("out.txt", result.getString("file_name"));
    assertEquals("text/plain", result.getString("content_type"));
    String content = "attempt-1\nend of attempt-1\n";
    assertEquals(content.length(), result.getJsonNumber("size").longValue());

    Http.Reply file = http.get(API + "/jobs/" + id + "/result", READER);
    assertEquals(200, file.status(), file.toString());
    assertEquals(content, file.body());
    assertTrue(file.header("Content-Disposition").contains("out.txt"));
    Http.Reply part =
        http.send(
            "GET", API + "/jobs/" + id + "/result", READER, null, Map.of("Range", "bytes=0-6"));
    assertEquals(206, part.status());
    assertEquals("attempt", part.body());

    Http.Reply events = http.get(API + "/jobs/" + id + "/events", READER);
    assertEquals(200, events.status(), events.toString());
    JsonArray list = events.array();
    assertEquals(3, list.size(), list.toString());
    JsonObject created = list.getJsonObject(0);
    assertEquals(Set.of("at", "actor", "from", "to", "message"), created.keySet());
    assertTrue(created.isNull("from"));
    assertEquals("pending", created.getString("to"));
    assertEquals("alice", created.getString("actor"));
    assertTrue(created.getString("at").matches(ISO));
    assertEquals("pending", list.getJsonObject(1).getString("from"));
    assertEquals("running", list.getJsonObject(1).getString("to"));
    assertTrue(list.getJsonObject(1).getString("actor").startsWith("engine:"));
    assertEquals("completed", list.getJsonObject(2).getString("to"));

    // no result: a job without one, and one that has not finished
    String noop = createJob("{\"type\":\"noop\"}").getString("id");
    awaitStatus(noop, "completed");
    assertError(
        http.get(API + "/jobs/" + noop + "/result", READER), 404, "Job " + noop + " has no result");
    String slow =
        createJob("{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"60000\"}}").getString("id");
    assertError(
        http.get(API + "/jobs/" + slow + "/result", READER),
        404,
        "Job " + slow + " has not finished");
    http.post(API + "/jobs/" + slow + "/cancel", MANAGER, "");
  }

  @Test
  void missingJobsAndUnknownRoutesAre404InTheNativeFormat() {
    String missing = "abcdefghijklmnopqrstuvwxyz";
    assertError(
        http.get(API + "/jobs/" + missing, READER), 404, "Job '" + missing + "' does not exist");
    assertError(http.get(API + "/jobs/" + missing + "/events", READER), 404, "Job");
    assertError(http.get(API + "/jobs/not%20an%20id", READER), 404, "Job");
    assertError(http.get(API + "/jobs/" + "a".repeat(300), READER), 404, "Job");
    assertError(http.get(API + "/nothing-here", READER), 404, "");
    assertError(
        http.send("PUT", API + "/jobs", MANAGER, "{}", Map.of("Content-Type", "application/json")),
        405,
        "");
    // a Taipy-form id is a job id too
    Http.Reply taipy = http.post("/api/v1/jobs?task_id=noop", TAIPY_ADMIN, "");
    assertEquals(201, taipy.status(), taipy.toString());
    String taipyId = taipy.json().getJsonObject("job").getString("id");
    assertEquals("noop", job(taipyId).getString("type"));
    assertEquals("tara", job(taipyId).getString("created_by"));
  }

  // ---- cancel, retry, delete -----------------------------------------------------------------

  @Test
  void cancelStopsAJobAndFinishedOnesAre409() {
    String pending =
        createJob("{\"type\":\"noop\",\"run_at\":\"" + Instant.now().plusSeconds(600) + "\"}")
            .getString("id");
    Http.Reply canceled = http.post(API + "/jobs/" + pending + "/cancel", TAIPY_ADMIN, "");
    assertEquals(200, canceled.status(), canceled.toString());
    assertEquals("canceled", canceled.json().getString("status"));
    assertTrue(canceled.json().getString("finished_at").matches(ISO));
    assertError(
        http.post(API + "/jobs/" + pending + "/cancel", MANAGER, ""),
        409,
        "Job " + pending + " has finished");

    String running =
        createJob("{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"60000\"}}").getString("id");
    awaitStatus(running, "running");
    Http.Reply asked = http.post(API + "/jobs/" + running + "/cancel", MANAGER, "");
    assertEquals(200, asked.status(), asked.toString());
    assertTrue(Set.of("cancel_requested", "canceled").contains(asked.json().getString("status")));
    JsonObject stopped = awaitStatus(running, "canceled");
    assertTrue(stopped.isNull("result"));
    List<String> transitions =
        http.get(API + "/jobs/" + running + "/events", READER).array().stream()
            .map(e -> e.asJsonObject())
            .map(e -> (e.isNull("from") ? "null" : e.getString("from")) + ">" + e.getString("to"))
            .toList();
    assertEquals(
        List.of(
            "null>pending",
            "pending>running",
            "running>cancel_requested",
            "cancel_requested>canceled"),
        transitions);
  }

  @Test
  void retryGivesAFailedJobAFreshBudgetAndKeepsItsHistory() {
    String id =
        createJob(
                "{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"0\",\"fail\":\"boom\"},\"max_attempts\":1}")
            .getString("id");
    JsonObject failed = awaitStatus(id, "failed");
    assertEquals("boom", failed.getString("error"));
    assertEquals(1, failed.getJsonArray("stacktrace").size(), "one trace per failed attempt");
    assertTrue(failed.getJsonArray("stacktrace").getString(0).contains("boom"));
    assertEquals("boom", failed.getJsonObject("data").getString("error"));
    assertEquals(1, failed.getInt("attempt"));
    assertEquals(-1, failed.getInt("progress"));

    Http.Reply retried = http.post(API + "/jobs/" + id + "/retry", MANAGER, "");
    assertEquals(200, retried.status(), retried.toString());
    JsonObject again = retried.json();
    assertEquals("pending", again.getString("status"));
    assertTrue(again.isNull("finished_at"));
    // a fresh budget: the type's attempts (sleep: 1) from here on
    assertEquals(again.getInt("attempt") + 1, again.getInt("max_attempts"));
    awaitJob(id, j -> j.getString("status").equals("failed") && j.getInt("attempt") == 2, 20_000);

    JsonArray events = http.get(API + "/jobs/" + id + "/events", READER).array();
    List<String> history =
        events.stream()
            .map(JsonValue::asJsonObject)
            .map(
                e ->
                    e.getString("to")
                        + "@"
                        + (e.getString("actor").startsWith("engine:")
                            ? "engine"
                            : e.getString("actor")))
            .toList();
    assertEquals(
        List.of(
            "pending@alice",
            "running@engine",
            "failed@engine",
            "pending@alice",
            "running@engine",
            "failed@engine"),
        history);

    String done = createJob("{\"type\":\"noop\"}").getString("id");
    awaitStatus(done, "completed");
    assertError(
        http.post(API + "/jobs/" + done + "/retry", MANAGER, ""),
        409,
        "Only a failed, canceled or abandoned job can be retried");
  }

  @Test
  void deleteRemovesAFinishedJobAndRefusesAnUnfinishedOne() {
    String running =
        createJob("{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"60000\"}}").getString("id");
    assertError(
        http.delete(API + "/jobs/" + running, MANAGER),
        409,
        "Job " + running + " has not finished");
    http.post(API + "/jobs/" + running + "/cancel", MANAGER, "");
    awaitStatus(running, "canceled");
    Http.Reply deleted = http.delete(API + "/jobs/" + running, TAIPY_ADMIN);
    assertEquals(204, deleted.status(), deleted.toString());
    assertEquals(0, deleted.bytes().length);
    assertError(http.get(API + "/jobs/" + running, READER), 404, "Job");
    assertError(http.delete(API + "/jobs/" + running, MANAGER), 404, "Job");
    assertEquals(0, Db.query("SELECT id FROM job_event WHERE job_id = ?", running).size());
  }

  // ---- search --------------------------------------------------------------------------------

  @Test
  void searchPagesThroughEveryMatchWithTheCursorNewestFirst() {
    long from = System.currentTimeMillis() - 1;
    List<String> mine = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      String type = i % 3 == 0 ? "sleep" : "noop";
      String data = i % 3 == 0 ? "{\"duration_ms\":\"0\",\"fail\":\"no\"}" : "{}";
      mine.add(createJob("{\"type\":\"" + type + "\",\"data\":" + data + "}").getString("id"));
    }
    for (String id : mine) {
      awaitJob(id, j -> j.isNull("finished_at") == false, 20_000);
    }
    String range = "created_after=" + from;
    List<JsonObject> all = allPages(range, 5);
    assertEquals(Set.copyOf(mine), Set.copyOf(ids(all)), "every job once");
    assertEquals(mine.size(), all.size());
    List<JsonObject> sorted = new ArrayList<>(all);
    sorted.sort(
        Comparator.<JsonObject, String>comparing(j -> j.getString("created_at"))
            .thenComparing(j -> j.getString("id"))
            .reversed());
    assertEquals(ids(sorted), ids(all), "newest first, ties by id");
    for (JsonObject j : all) {
      assertEquals(JOB_FIELDS, j.keySet());
    }
    assertEquals(ids(all), ids(allPages(range, 500)), "one page says the same");
    assertEquals(ids(all), ids(allPages(range, 1)));

    // repeatable type and status, any of; combined with the time range
    List<JsonObject> failedSleeps =
        allPages(range + "&type=sleep&type=job_export&status=failed&status=canceled", 2);
    assertEquals(
        ids(all.stream().filter(j -> j.getString("type").equals("sleep")).toList()),
        ids(failedSleeps));
    assertEquals(8, failedSleeps.size());
    assertEquals(
        ids(all.stream().filter(j -> j.getString("type").equals("noop")).toList()),
        ids(allPages(range + "&type=noop,job_export&status=completed", 4)));
    assertEquals(
        ids(all.stream().filter(j -> j.getString("status").equals("completed")).toList()),
        ids(allPages(range + "&status=completed", 3)));
    // the time range's end is exclusive
    String last = all.get(0).getString("created_at");
    assertFalse(
        ids(allPages(range + "&created_before=" + enc(last), 50))
            .contains(all.get(0).getString("id")));
    // an id prefix
    String id = mine.get(4);
    List<String> byPrefix = ids(allPages("q=" + id.substring(0, 6), 50));
    assertTrue(byPrefix.contains(id), byPrefix.toString());
    byPrefix.forEach(found -> assertTrue(found.startsWith(id.substring(0, 6))));
    assertEquals(List.of(id), ids(allPages("q=" + id, 50)));
    // no job belongs to a schedule yet
    assertEquals(List.of(), ids(allPages(range + "&schedule_id=daily", 50)));
    // a cursor from another search is a position all the same
    Http.Reply first = http.get(API + "/jobs?limit=2&" + range, READER);
    String cursor = first.json().getString("next_cursor");
    assertNotNull(cursor);
    Http.Reply rest = http.get(API + "/jobs?limit=500&" + range + "&cursor=" + enc(cursor), READER);
    assertEquals(
        ids(all).subList(2, all.size()),
        ids(rest.json().getJsonArray("jobs").getValuesAs(JsonObject.class)));
  }

  @Test
  void aBadSearchParameterIsA400NamingIt() {
    Map<String, String> queries = new LinkedHashMap<>();
    queries.put("limit=0", "limit:");
    queries.put("limit=501", "limit:");
    queries.put("limit=ten", "limit:");
    queries.put("status=in_progress", "status:");
    queries.put("status=completed&status=nope", "status:");
    queries.put("type=NOOP", "type:");
    queries.put("type=" + "a".repeat(33), "type:");
    queries.put("created_after=yesterday", "created_after:");
    queries.put("created_before=2026-02-30", "created_before:");
    queries.put("created_after=-1", "created_after:");
    queries.put("cursor=garbage", "cursor:");
    queries.put("cursor=Mjo1OmFiYw", "cursor:"); // "2:5:abc": a version this API never wrote
    queries.put("q=" + enc("ab%"), "q:");
    queries.put("q=" + "a".repeat(81), "q:");
    for (Map.Entry<String, String> e : queries.entrySet()) {
      assertError(http.get(API + "/jobs?" + e.getKey(), READER), 400, e.getValue());
    }
    // a well-formed type that no handler has (any more) matches its old jobs: none here
    Http.Reply gone = http.get(API + "/jobs?type=retired_type", READER);
    assertEquals(200, gone.status(), gone.toString());
    assertEquals(0, gone.json().getJsonArray("jobs").size());
    assertTrue(gone.json().isNull("next_cursor"));
  }

  // ---- stats and types -----------------------------------------------------------------------

  @Test
  void statsCountEveryTypeAndStatusAndShowThisInstance() {
    String ok = createJob("{\"type\":\"noop\"}").getString("id");
    String bad =
        createJob("{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"20\",\"fail\":\"x\"}}")
            .getString("id");
    awaitStatus(ok, "completed");
    awaitStatus(bad, "failed");
    JsonObject stats = stats();
    assertEquals(Set.of("types", "instances"), stats.keySet());
    JsonObject types = stats.getJsonObject("types");
    for (String registered :
        List.of("noop", "sleep", "job_export", "data_retention", "test_result")) {
      assertTrue(types.containsKey(registered), registered + " in " + types.keySet());
    }
    Set<String> keys =
        Set.of(
            "pending",
            "blocked",
            "running",
            "cancel_requested",
            "completed",
            "warning",
            "failed",
            "canceled",
            "skipped",
            "abandoned",
            "finished_last_hour",
            "failed_last_hour",
            "avg_run_ms");
    for (String type : types.keySet()) {
      assertEquals(keys, types.getJsonObject(type).keySet(), type);
    }
    // the counts follow every change (test_result jobs: only this class makes them, through
    // the API; some tests write noop and sleep rows with SQL, which the counters cannot see)
    String later = "{\"type\":\"test_result\",\"run_at\":\"9999-01-01T00:00:00Z\"}";
    JsonObject before = stats().getJsonObject("types").getJsonObject("test_result");
    String first = createJob(later).getString("id");
    createJob(later);
    JsonObject after = stats().getJsonObject("types").getJsonObject("test_result");
    assertEquals(before.getInt("pending") + 2, after.getInt("pending"));
    http.post(API + "/jobs/" + first + "/cancel", MANAGER, "");
    JsonObject canceled = stats().getJsonObject("types").getJsonObject("test_result");
    assertEquals(before.getInt("pending") + 1, canceled.getInt("pending"));
    assertEquals(before.getInt("canceled") + 1, canceled.getInt("canceled"));
    http.delete(API + "/jobs/" + first, MANAGER);
    assertEquals(
        before.getInt("canceled"),
        stats().getJsonObject("types").getJsonObject("test_result").getInt("canceled"));
    Map<String, Long> table = tableCounts();
    JsonObject results = stats().getJsonObject("types").getJsonObject("test_result");
    for (String status : List.of("pending", "running", "completed", "failed", "canceled")) {
      assertEquals(
          table.getOrDefault("test_result/" + status, 0L),
          results.getJsonNumber(status).longValue(),
          status);
    }
    JsonObject sleep = types.getJsonObject("sleep");
    assertTrue(sleep.getInt("failed_last_hour") >= 1, sleep.toString());
    assertTrue(sleep.getInt("finished_last_hour") >= sleep.getInt("failed_last_hour"));
    assertTrue(sleep.getInt("avg_run_ms") >= 0);
    assertTrue(types.getJsonObject("noop").getInt("finished_last_hour") >= 1);

    // this instance, the one that ran the job (a server of an earlier test class may still be
    // listed for a few leases if it was stopped hard)
    String engine =
        http.get(API + "/jobs/" + ok + "/events", READER)
            .array()
            .getJsonObject(1)
            .getString("actor")
            .substring("engine:".length());
    JsonArray instances = stats.getJsonArray("instances");
    JsonObject me =
        instances.stream()
            .map(JsonValue::asJsonObject)
            .filter(i -> i.getString("id").equals(engine))
            .findFirst()
            .orElseThrow(() -> new AssertionError(engine + " not in " + instances));
    assertEquals(Set.of("id", "workers", "busy", "last_seen_at"), me.keySet());
    assertTrue(me.getInt("workers") >= 1);
    assertTrue(me.getInt("busy") >= 0 && me.getInt("busy") <= me.getInt("workers"));
    long seen = Instant.parse(me.getString("last_seen_at")).toEpochMilli();
    // the heartbeat writes it every third of a lease (3 s in the tests)
    assertTrue(Math.abs(System.currentTimeMillis() - seen) < 5_000, me.toString());

    // an instance is listed while its row is younger than three of its leases, by id
    long now = System.currentTimeMillis();
    String insert =
        "INSERT INTO engine_instance (id, workers, busy, lease_ms, started_at, last_seen_at)"
            + " VALUES (?, ?, ?, ?, ?, ?)";
    try {
      Db.update(insert, "it-stats-a-live", 4, 2, 60_000L, now - 600_000, now - 170_000);
      Db.update(insert, "it-stats-b-gone", 4, 0, 60_000L, now - 600_000, now - 190_000);
      List<JsonObject> listed =
          stats().getJsonArray("instances").stream().map(JsonValue::asJsonObject).toList();
      List<String> ids = listed.stream().map(i -> i.getString("id")).toList();
      assertTrue(ids.contains("it-stats-a-live"), ids.toString());
      assertFalse(ids.contains("it-stats-b-gone"), ids.toString());
      assertEquals(ids.stream().sorted().toList(), ids, "by id");
      JsonObject live =
          listed.stream()
              .filter(i -> i.getString("id").equals("it-stats-a-live"))
              .findFirst()
              .get();
      assertEquals(4, live.getInt("workers"));
      assertEquals(2, live.getInt("busy"));
      assertEquals(
          Instant.ofEpochMilli(now - 170_000), Instant.parse(live.getString("last_seen_at")));
    } finally {
      Db.update("DELETE FROM engine_instance WHERE id LIKE 'it-stats-%'");
    }
  }

  private JsonObject stats() {
    Http.Reply r = http.get(API + "/stats", TAIPY_READER);
    assertEquals(200, r.status(), r.toString());
    return r.json();
  }

  private static Map<String, Long> tableCounts() {
    Map<String, Long> counts = new java.util.TreeMap<>();
    for (Map<String, Object> row :
        Db.query("SELECT type, status, COUNT(*) AS n FROM job GROUP BY type, status")) {
      counts.put(
          row.get("type") + "/" + ((String) row.get("status")).toLowerCase(),
          ((Number) row.get("n")).longValue());
    }
    return counts;
  }

  @Test
  void typesListTheRegisteredTypesWithTheirSettings() {
    JsonArray types = http.get(API + "/types", TAIPY_EXECUTOR).array();
    JsonObject flaky =
        types.stream()
            .map(JsonValue::asJsonObject)
            .filter(t -> t.getString("type").equals("test_flaky"))
            .findFirst()
            .orElseThrow();
    assertEquals(3, flaky.getInt("max_attempts"));
    assertEquals(300, flaky.getInt("backoff_ms"));
    assertEquals(60_000, flaky.getInt("timeout_ms"));
    assertEquals(0, flaky.getInt("max_concurrent"));
    assertTrue(flaky.getString("task_id").startsWith("TASK_test_flaky_"));
    List<String> names = types.stream().map(t -> t.asJsonObject().getString("type")).toList();
    assertEquals(names.stream().sorted().toList(), names);
    assertTrue(names.containsAll(List.of("noop", "sleep", "job_export", "data_retention")));
  }

  // ---- the OpenAPI document (issue 24) ---------------------------------------------------------

  /**
   * /openapi, YAML and JSON, passes the parser that openapi-generator validates with, without one
   * message (Payara's own fields, a path parameter that is not required and a schema without items
   * all were messages); every operation has its own operationId, and every secured one its roles.
   */
  @Test
  void theOpenApiDocumentIsValidForClientGenerators() throws Exception {
    for (String accept : List.of("text/plain", "application/json") /* YAML, JSON */) {
      OpenAPI doc = openApi(accept);
      assertEquals("3.0.3", doc.getOpenapi(), accept);
      Set<String> ids = new java.util.HashSet<>();
      doc.getPaths()
          .forEach(
              (path, item) ->
                  item.readOperationsMap()
                      .forEach(
                          (method, op) -> {
                            if (path.startsWith("/api/test/")) {
                              return; // the tests' own hooks, deployed with them
                            }
                            String where = accept + " " + method + " " + path;
                            assertNotNull(op.getOperationId(), where);
                            assertTrue(ids.add(op.getOperationId()), "repeated: " + where);
                            assertTrue(op.getOperationId().matches("[a-z][A-Za-z0-9]*"), where);
                            if (!path.equals(API + "/auth")) {
                              assertNotNull(op.getExtensions(), where);
                              assertTrue(
                                  op.getExtensions().get("x-roles") instanceof List<?> roles
                                      && !roles.isEmpty(),
                                  where);
                              assertTrue(op.getResponses().containsKey("401"), where);
                              assertTrue(op.getResponses().containsKey("403"), where);
                            }
                          }));
      assertTrue(
          ids.containsAll(
              List.of(
                  "searchJobs",
                  "createJob",
                  "getJob",
                  "cancelJob",
                  "v4CreateJob",
                  "v4GetJob",
                  "v4CancelJob",
                  "taipyCreateJob",
                  "taipyGetJob")),
          ids.toString());
      assertEquals(
          List.of("manage_jobs", "TAIPY_ADMIN"),
          doc.getPaths().get(API + "/jobs").getPost().getExtensions().get("x-roles"));
      assertEquals(
          Set.of("jobs", "schedules", "server", "workers", "mattermost", "taipy", "sign-in"),
          doc.getTags().stream()
              .map(t -> t.getName())
              .collect(java.util.stream.Collectors.toSet()));
      assertEquals(7, doc.getTags().size(), "each tag once");
    }
  }

  /**
   * Real answers of each API conform, strictly, to the schema the document gives for them: no
   * property missing or unknown, types, formats and enums as said.
   */
  @Test
  void realBodiesMatchTheirSchemasInTheOpenApiDocument() throws Exception {
    SchemaCheck schemas = new SchemaCheck(openApi("application/json"));
    PathItem.HttpMethod get = PathItem.HttpMethod.GET;
    PathItem.HttpMethod post = PathItem.HttpMethod.POST;

    // v4: a created job, the job read back when finished, a page, an AppError
    Http.Reply created =
        http.post("/api/v4/jobs", MANAGER, "{\"type\":\"noop\",\"data\":{\"k\":\"v\"}}");
    assertEquals(201, created.status(), created.toString());
    conforms(schemas, created, schemas.responseSchema("/api/v4/jobs", post, 201));
    String v4Id = created.json().getString("id");
    awaitStatus(v4Id, "completed");
    Http.Reply v4Job = http.get("/api/v4/jobs/" + v4Id, MANAGER);
    conforms(schemas, v4Job, schemas.responseSchema("/api/v4/jobs/{id}", get, 200));
    conforms(
        schemas,
        http.get("/api/v4/jobs?per_page=5", MANAGER),
        schemas.responseSchema("/api/v4/jobs", get, 200));
    Http.Reply appError = http.get("/api/v4/jobs/" + "a".repeat(26), MANAGER);
    assertEquals(404, appError.status());
    conforms(schemas, appError, schemas.responseSchema("/api/v4/jobs/{id}", get, 404));
    conforms(
        schemas, http.get("/api/v4/jobs", null), schemas.responseSchema("/api/v4/jobs", get, 401));

    // a failed job (error, progress -1, a stack trace) in every API
    Http.Reply failing =
        http.post(
            API + "/jobs",
            MANAGER,
            "{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"1\",\"fail\":\"no luck\"}}");
    assertEquals(201, failing.status(), failing.toString());
    String failedId = failing.json().getString("id");
    awaitStatus(failedId, "failed");

    // v1: created, read, listed, a message
    Http.Reply taipyCreated = http.post("/api/v1/jobs?task_id=noop", TAIPY_ADMIN, null);
    assertEquals(201, taipyCreated.status(), taipyCreated.toString());
    conforms(schemas, taipyCreated, schemas.responseSchema("/api/v1/jobs", post, 201));
    for (String id : List.of(failedId, taipyCreated.json().getJsonObject("job").getString("id"))) {
      conforms(
          schemas,
          http.get("/api/v1/jobs/" + id, TAIPY_READER),
          schemas.responseSchema("/api/v1/jobs/{id}", get, 200));
    }
    conforms(
        schemas,
        http.get("/api/v1/jobs?per_page=20", TAIPY_READER),
        schemas.responseSchema("/api/v1/jobs", get, 200));
    Http.Reply taipyMissing = http.get("/api/v1/jobs/JOB_noop_missing", TAIPY_READER);
    assertEquals(404, taipyMissing.status());
    conforms(schemas, taipyMissing, schemas.responseSchema("/api/v1/jobs/{id}", get, 404));

    // native: a page (with the failed job), a job with its stack trace, events, stats, types, me
    conforms(
        schemas,
        http.get(API + "/jobs?limit=3", READER),
        schemas.responseSchema(API + "/jobs", get, 200));
    Http.Reply failed = http.get(API + "/jobs/" + failedId, READER);
    assertFalse(failed.json().getJsonArray("stacktrace").isEmpty(), failed.toString());
    conforms(schemas, failed, schemas.responseSchema(API + "/jobs/{id}", get, 200));
    conforms(
        schemas,
        http.get(API + "/jobs/" + failedId + "/events", READER),
        schemas.responseSchema(API + "/jobs/{id}/events", get, 200));
    conforms(
        schemas,
        http.get(API + "/stats", READER),
        schemas.responseSchema(API + "/stats", get, 200));
    conforms(
        schemas,
        http.get(API + "/types", READER),
        schemas.responseSchema(API + "/types", get, 200));
    conforms(
        schemas, http.get(API + "/me", MANAGER), schemas.responseSchema(API + "/me", get, 200));
    Http.Reply nativeMissing = http.get(API + "/jobs/" + "b".repeat(26), READER);
    assertEquals(404, nativeMissing.status());
    conforms(schemas, nativeMissing, schemas.responseSchema(API + "/jobs/{id}", get, 404));

    // schedules: one created, listed, triggered, its run history (a job with due_at) and events
    Http.Reply schedule =
        http.post(API + "/schedules", MANAGER, "{\"type\":\"noop\",\"every\":\"PT1H\"}");
    assertEquals(201, schedule.status(), schedule.toString());
    conforms(schemas, schedule, schemas.responseSchema(API + "/schedules", post, 201));
    String scheduleId = schedule.json().getString("id");
    conforms(
        schemas,
        http.get(API + "/schedules", READER),
        schemas.responseSchema(API + "/schedules", get, 200));
    Http.Reply triggered = http.post(API + "/schedules/" + scheduleId + "/trigger", MANAGER, null);
    conforms(
        schemas, triggered, schemas.responseSchema(API + "/schedules/{id}/trigger", post, 201));
    Http.Reply runs = http.get(API + "/schedules/" + scheduleId + "/jobs", READER);
    assertEquals(1, runs.json().getJsonArray("jobs").size(), runs.toString());
    conforms(schemas, runs, schemas.responseSchema(API + "/schedules/{id}/jobs", get, 200));
    conforms(
        schemas,
        http.get(API + "/schedules/" + scheduleId + "/events", READER),
        schemas.responseSchema(API + "/schedules/{id}/events", get, 200));
    assertEquals(204, http.delete(API + "/schedules/" + scheduleId, MANAGER).status());

    // and the check does fail: an unknown property, a missing one, a status outside the enum
    JsonObject job = v4Job.json();
    JsonObject wrong =
        jakarta.json.Json.createObjectBuilder(job)
            .remove("data")
            .add("status", "done")
            .add("extra", 1)
            .build();
    assertEquals(
        3,
        schemas.problems(wrong, schemas.responseSchema("/api/v4/jobs/{id}", get, 200)).size(),
        wrong.toString());
  }

  private static void conforms(SchemaCheck schemas, Http.Reply reply, Schema<?> schema) {
    assertTrue(reply.status() < 500, reply.toString());
    JsonValue body;
    try (jakarta.json.JsonReader r =
        jakarta.json.Json.createReader(new java.io.StringReader(reply.body()))) {
      body = r.readValue();
    }
    assertEquals(List.of(), schemas.problems(body, schema), reply.toString());
  }

  private OpenAPI openApi(String accept) throws Exception {
    Http.Reply r =
        new Http(new URL(base, "/openapi").toString())
            .send("GET", "", null, null, Map.of("Accept", accept));
    assertEquals(200, r.status(), accept);
    ParseOptions options = new ParseOptions();
    options.setResolve(false);
    SwaggerParseResult result = new OpenAPIV3Parser().readContents(r.body(), null, options);
    assertEquals(List.of(), result.getMessages(), "the parser's messages about " + accept);
    assertNotNull(result.getOpenAPI(), accept);
    return result.getOpenAPI();
  }
}
