package dev.jobserver.it;

import static dev.jobserver.it.ItSupport.ADMIN;
import static dev.jobserver.it.ItSupport.READER;
import static dev.jobserver.it.ItSupport.awaitStatus;
import static dev.jobserver.it.ItSupport.create;
import static dev.jobserver.it.ItSupport.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Time and order, as clients see them on the database the build targets (H2, or PostgreSQL with
 * -Ppostgres): run_at, dependencies (blocked, unblocked, abandoned in cascade, canceled while
 * blocked, skipped as success) in the v4 and v1 views, and schedules (interval and cron in a zone,
 * pause, resume, trigger, delete, overlap, both misfire policies, validation). Misfire needs a
 * stretch of time in which no instance fires: the test WAR's hook holds this instance's firing (see
 * {@link TestHooks}); the server runs with a 1 s grace (pom.xml).
 */
class ScheduleIT extends InServerTest {

  private static final String TAIPY = TestTokens.token("tina", "TAIPY_READER");
  private static final String SCHEDULES = "/api/jobserver/v1/schedules";

  private final List<String> created = new ArrayList<>();

  /** Schedules left behind would go on firing into the next test classes. */
  @AfterEach
  void deleteSchedules() {
    http.post("/api/test/hooks/schedules/hold?on=false", ADMIN, "");
    for (String id : created) {
      http.delete(SCHEDULES + "/" + id, ADMIN);
    }
  }

  private JsonObject v4(String body) {
    Http.Reply r = http.post("/api/v4/jobs", ADMIN, body);
    assertEquals(201, r.status(), r.toString());
    return r.json();
  }

  private String v1Status(String id) {
    Http.Reply r = http.get("/api/v1/jobs/" + id, TAIPY);
    assertEquals(200, r.status(), r.toString());
    return r.json().getJsonObject("job").getString("status");
  }

  private String v4Status(String id) {
    return http.get("/api/v4/jobs/" + id, ADMIN).json().getString("status");
  }

  private void awaitV1(String id, String status, long ms) {
    long until = System.currentTimeMillis() + ms;
    String last = null;
    while (System.currentTimeMillis() < until) {
      last = v1Status(id);
      if (last.equals(status)) {
        return;
      }
      sleep(50);
    }
    fail(id + " did not become " + status + " in " + ms + " ms; last " + last);
  }

  // ---- run_at and dependencies ----------------------------------------------------------------

  @Test
  void aJobWithRunAtStaysPendingUntilThen() {
    long runAt = System.currentTimeMillis() + 3000;
    JsonObject job = v4("{\"type\":\"noop\",\"run_at\":" + runAt + "}");
    assertEquals("pending", job.getString("status"));
    sleep(1000);
    JsonObject early = http.get("/api/v4/jobs/" + job.getString("id"), ADMIN).json();
    if (System.currentTimeMillis() < runAt) {
      assertEquals("pending", early.getString("status"));
      assertEquals(0, early.getJsonNumber("start_at").longValue());
    }
    JsonObject done = awaitStatus(http, job.getString("id"), "success", 10_000);
    assertTrue(done.getJsonNumber("start_at").longValue() >= runAt, done.toString());
    Http.Reply bad = http.post("/api/v4/jobs", ADMIN, "{\"type\":\"noop\",\"run_at\":\"soon\"}");
    assertEquals(400, bad.status());
    assertTrue(bad.json().getString("detailed_error").contains("run_at"), bad.toString());
  }

  @Test
  void aBlockedJobWaitsThenRunsAfterItsDependencyAndTheViewsSaySo() {
    String a = create(http, "sleep", "{\"duration_ms\":\"1500\"}").getString("id");
    JsonObject b = v4("{\"type\":\"noop\",\"depends_on\":[\"" + a + "\"]}");
    String id = b.getString("id");
    assertEquals("pending", b.getString("status"), "BLOCKED is pending on v4");
    assertEquals("Status.BLOCKED", v1Status(id));
    JsonObject aDone = awaitStatus(http, a, "success", 10_000);
    JsonObject bDone = awaitStatus(http, id, "success", 10_000);
    assertTrue(
        bDone.getJsonNumber("start_at").longValue()
            >= aDone.getJsonNumber("last_activity_at").longValue(),
        "it ran after its dependency ended");
    assertEquals("Status.COMPLETED", v1Status(id));
    // a dependency that has ended already counts at once
    JsonObject c = v4("{\"type\":\"noop\",\"depends_on\":[\"" + a + "\",\"" + id + "\"]}");
    assertEquals("pending", c.getString("status"));
    awaitStatus(http, c.getString("id"), "success", 10_000);
  }

  @Test
  void aFailureInAFanInAbandonsTheJoinAndItsDependentsAndAnUnknownIdIsNamed() {
    String ok = create(http, "sleep", "{\"duration_ms\":\"300\"}").getString("id");
    String bad =
        create(http, "sleep", "{\"duration_ms\":\"600\",\"fail\":\"boom\"}").getString("id");
    String join =
        v4("{\"type\":\"noop\",\"depends_on\":[\"" + ok + "\",\"" + bad + "\"]}").getString("id");
    String after = v4("{\"type\":\"noop\",\"depends_on\":[\"" + join + "\"]}").getString("id");
    awaitV1(after, "Status.ABANDONED", 15_000);
    assertEquals("Status.ABANDONED", v1Status(join));
    assertEquals("canceled", v4Status(join), "ABANDONED is canceled on v4");
    assertEquals("Status.FAILED", v1Status(bad));
    assertEquals("success", v4Status(ok));
    Http.Reply unknown =
        http.post(
            "/api/v4/jobs",
            ADMIN,
            "{\"type\":\"noop\",\"depends_on\":[\"" + ok + "\",\"aaaaaaaaaaaaaaaaaaaaaaaaaa\"]}");
    assertEquals(400, unknown.status());
    assertTrue(
        unknown.json().getString("detailed_error").contains("aaaaaaaaaaaaaaaaaaaaaaaaaa"),
        unknown.toString());
  }

  @Test
  void aBlockedJobCanBeCanceledAndItsDependentsAreAbandoned() {
    String a = create(http, "sleep", "{\"duration_ms\":\"4000\"}").getString("id");
    String b = v4("{\"type\":\"noop\",\"depends_on\":[\"" + a + "\"]}").getString("id");
    String c = v4("{\"type\":\"noop\",\"depends_on\":[\"" + b + "\"]}").getString("id");
    assertEquals(200, http.post("/api/v4/jobs/" + b + "/cancel", ADMIN, "").status());
    assertEquals("canceled", v4Status(b));
    assertEquals("Status.CANCELED", v1Status(b));
    assertEquals("Status.ABANDONED", v1Status(c));
    assertEquals("canceled", v4Status(c));
    http.post("/api/v4/jobs/" + a + "/cancel", ADMIN, "");
  }

  @Test
  void aSkippedRunCountsAsSuccessForItsDependents() {
    // nothing is 100 years old: the retention run finds nothing to delete and skips
    String keep =
        v4("{\"type\":\"data_retention\",\"data\":{\"older_than_days\":\"36500\"}}")
            .getString("id");
    String next = v4("{\"type\":\"noop\",\"depends_on\":[\"" + keep + "\"]}").getString("id");
    awaitStatus(http, next, "success", 15_000);
    assertEquals("success", v4Status(keep), "SKIPPED is success on v4");
    assertEquals("Status.SKIPPED", v1Status(keep));
    JsonObject data = http.get("/api/v4/jobs/" + keep, ADMIN).json().getJsonObject("data");
    assertEquals("0", data.getString("deleted"));
    assertTrue(data.containsKey("skipped"), data.toString());
  }

  @Test
  void theNativeApiShowsDependenciesAndRetryLooksAtThemAgain() {
    String jobs = "/api/jobserver/v1/jobs";
    String a = create(http, "sleep", "{\"duration_ms\":\"800\",\"fail\":\"boom\"}").getString("id");
    Http.Reply created =
        http.post(
            jobs,
            ADMIN,
            "{\"type\":\"noop\",\"run_at\":\"2020-01-01T00:00:00Z\",\"depends_on\":[\""
                + a
                + "\"]}");
    assertEquals(201, created.status(), created.toString());
    String b = created.json().getString("id");
    assertEquals("blocked", created.json().getString("status"));
    assertEquals(a, created.json().getJsonArray("depends_on").getString(0));
    JsonObject read = http.get(jobs + "/" + b, READER).json();
    assertEquals("blocked", read.getString("status"));
    assertEquals(a, read.getJsonArray("depends_on").getString(0));
    awaitV1(b, "Status.ABANDONED", 15_000);
    JsonArray events = http.get(jobs + "/" + b + "/events", READER).array();
    JsonObject last = events.getJsonObject(events.size() - 1);
    assertEquals("dependency:" + a, last.getString("actor"));
    assertEquals("abandoned", last.getString("to"));
    Http.Reply again = http.post(jobs + "/" + b + "/retry", ADMIN, "");
    assertEquals(409, again.status(), "its dependency still stands failed: " + again);
    assertTrue(
        again.json().getString("message").contains("retry that one first"), again.toString());
    assertEquals(200, http.post(jobs + "/" + a + "/retry", ADMIN, "").status());
    Http.Reply retried = http.post(jobs + "/" + b + "/retry", ADMIN, "");
    assertEquals(200, retried.status(), retried.toString());
    assertEquals("blocked", retried.json().getString("status"), "it waits for a again");
    awaitV1(b, "Status.ABANDONED", 15_000); // a fails again
    Http.Reply unknown =
        http.post(
            jobs, ADMIN, "{\"type\":\"noop\",\"depends_on\":[\"bbbbbbbbbbbbbbbbbbbbbbbbbb\"]}");
    assertEquals(400, unknown.status());
    assertTrue(
        unknown.json().getString("message").contains("bbbbbbbbbbbbbbbbbbbbbbbbbb"),
        unknown.toString());
  }

  // ---- schedules ------------------------------------------------------------------------------

  private JsonObject schedule(String body) {
    Http.Reply r = http.post(SCHEDULES, ADMIN, body);
    assertEquals(201, r.status(), r.toString());
    created.add(r.json().getString("id"));
    return r.json();
  }

  private JsonArray jobsOf(String id) {
    Http.Reply r = http.get(SCHEDULES + "/" + id + "/jobs?limit=500", READER);
    assertEquals(200, r.status(), r.toString());
    return r.json().getJsonArray("jobs");
  }

  private JsonArray awaitJobs(String id, Predicate<JsonArray> condition, long ms) {
    long until = System.currentTimeMillis() + ms;
    JsonArray last = null;
    while (System.currentTimeMillis() < until) {
      last = jobsOf(id);
      if (condition.test(last)) {
        return last;
      }
      sleep(100);
    }
    return fail("schedule " + id + ": not as expected in " + ms + " ms: " + last);
  }

  /**
   * jobserver_schedule_runs_total{schedule=id, outcome} in /metrics (at the server root): this
   * instance's count, 0 when the series does not exist (nothing of that outcome yet).
   */
  private double metricRuns(String id, String outcome) {
    Http root = new Http("http://" + base.getHost() + ":" + base.getPort());
    return root.get("/metrics?scope=application", null)
        .body()
        .lines()
        .filter(l -> l.startsWith("jobserver_schedule_runs_total{"))
        .filter(l -> l.contains("schedule=\"" + id + "\""))
        .filter(l -> l.contains("outcome=\"" + outcome + "\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElse(0);
  }

  /**
   * Waits until this instance's metric of a schedule's outcome equals the schedule's own count
   * ({@code runs}), which is the whole cluster's: here, one instance that fired it since its
   * creation. Returns that count. (The metric follows the round's commit by a moment, and an
   * interval schedule goes on counting, so the two are compared until they agree.)
   */
  private long awaitMetricAsCounted(String id, String outcome) {
    long until = System.currentTimeMillis() + 5000;
    while (true) {
      JsonObject s = http.get(SCHEDULES + "/" + id, ADMIN).json();
      long counted = s.getJsonObject("runs").getJsonNumber(outcome).longValue();
      double metric = metricRuns(id, outcome);
      if (metric == counted) {
        return counted;
      }
      if (System.currentTimeMillis() > until) {
        return fail(outcome + " of " + id + ": /metrics says " + metric + ", the schedule " + s);
      }
      sleep(100);
    }
  }

  private static long dueAt(JsonValue job) {
    return Instant.parse(job.asJsonObject().getString("due_at")).toEpochMilli();
  }

  @Test
  void anIntervalScheduleMakesAJobEachDueTimeByTheSchedule() {
    JsonObject s =
        schedule(
            "{\"name\":\"tick\",\"type\":\"noop\",\"data\":{\"k\":\"v\"},\"every\":\"PT1S\","
                + "\"overlap\":\"allow\"}");
    String id = s.getString("id");
    assertEquals("UTC", s.getString("time_zone"));
    assertEquals("alice", s.getString("created_by"));
    JsonArray jobs = awaitJobs(id, j -> j.size() >= 3, 10_000);
    JsonObject job = jobs.getJsonObject(0);
    assertEquals(id, job.getString("schedule_id"));
    assertEquals("schedule:" + id, job.getString("created_by"));
    assertEquals("v", job.getJsonObject("data").getString("k"));
    Http.Reply events =
        http.get("/api/jobserver/v1/jobs/" + job.getString("id") + "/events", ADMIN);
    assertEquals(200, events.status(), events.toString());
    assertEquals("schedule:" + id, events.array().getJsonObject(0).getString("actor"));
    JsonArray found =
        http.get("/api/jobserver/v1/jobs?limit=500&schedule_id=" + id, READER)
            .json()
            .getJsonArray("jobs");
    assertTrue(found.size() >= 3, found.toString());
    found.forEach(j -> assertEquals(id, j.asJsonObject().getString("schedule_id")));
    List<Long> dues = new ArrayList<>();
    jobs.forEach(j -> dues.add(dueAt(j)));
    assertEquals(dues.size(), dues.stream().distinct().count(), "one job per due time");
    JsonObject read = http.get(SCHEDULES + "/" + id, READER).json();
    assertTrue(read.getJsonObject("runs").getInt("fired") >= 3, read.toString());
    // the metrics count them too, per schedule (this instance's: the only one)
    assertTrue(awaitMetricAsCounted(id, "fired") >= 3);
    assertEquals(0, awaitMetricAsCounted(id, "skipped"), "overlap allow skips none");
    assertNotEquals(JsonValue.NULL, read.get("next_run_at"));
  }

  @Test
  void aCronScheduleWithSecondsInAZoneFiresOnItsSeconds() {
    String id =
        schedule(
                "{\"type\":\"noop\",\"cron\":\"*/2 * * * * *\",\"time_zone\":\"Europe/Berlin\","
                    + "\"overlap\":\"allow\"}")
            .getString("id");
    JsonArray jobs = awaitJobs(id, j -> j.size() >= 2, 10_000);
    for (JsonValue j : jobs) {
      assertEquals(0, dueAt(j) % 2000, "on even seconds: " + j);
    }
    String daily =
        schedule("{\"type\":\"noop\",\"cron\":\"30 9 * * 1-5\",\"time_zone\":\"Asia/Tokyo\"}")
            .getString("next_run_at");
    assertTrue(
        Instant.parse(daily)
            .atZone(java.time.ZoneId.of("Asia/Tokyo"))
            .toLocalTime()
            .toString()
            .equals("09:30"),
        daily);
  }

  @Test
  void pauseResumeTriggerReplaceAndDeleteAreRecordedWithTheirActor() {
    String id =
        schedule("{\"type\":\"noop\",\"every\":\"PT1S\",\"overlap\":\"allow\"}").getString("id");
    awaitJobs(id, j -> j.size() >= 1, 10_000);
    Http.Reply paused = http.post(SCHEDULES + "/" + id + "/pause", ADMIN, "");
    assertEquals(200, paused.status(), paused.toString());
    assertTrue(paused.json().getBoolean("paused"));
    assertEquals(JsonValue.NULL, paused.json().get("next_run_at"));
    sleep(300);
    int before = jobsOf(id).size();
    sleep(2500);
    assertEquals(before, jobsOf(id).size(), "paused: no job");
    Http.Reply triggered = http.post(SCHEDULES + "/" + id + "/trigger", ADMIN, "");
    assertEquals(201, triggered.status(), triggered.toString());
    assertEquals(id, triggered.json().getString("schedule_id"));
    JsonArray withTrigger = jobsOf(id);
    assertEquals(before + 1, withTrigger.size(), "a trigger runs even when paused");
    assertEquals(triggered.json().getString("id"), withTrigger.getJsonObject(0).getString("id"));
    assertEquals(JsonValue.NULL, withTrigger.getJsonObject(0).get("due_at"), "no due time");
    assertEquals(200, http.post(SCHEDULES + "/" + id + "/resume", ADMIN, "").status());
    awaitJobs(id, j -> j.size() >= before + 3, 10_000);
    JsonObject was = http.get(SCHEDULES + "/" + id, ADMIN).json();
    Http.Reply replaced =
        http.put(
            SCHEDULES + "/" + id,
            ADMIN,
            "{\"name\":\"five\",\"type\":\"noop\",\"cron\":\"*/5 * * * * *\","
                + "\"overlap\":\"allow\"}");
    assertEquals(200, replaced.status(), replaced.toString());
    assertEquals("five", replaced.json().getString("name"));
    assertEquals("*/5 * * * * *", replaced.json().getString("cron"));
    assertEquals(was.getString("created_at"), replaced.json().getString("created_at"));
    assertTrue(
        replaced.json().getJsonObject("runs").getInt("fired")
            >= was.getJsonObject("runs").getInt("fired"),
        "its counts stay: " + replaced);
    long next = Instant.parse(replaced.json().getString("next_run_at")).toEpochMilli();
    assertEquals(0, next % 5000, "on its cron: " + replaced);
    JsonObject stored = http.get(SCHEDULES + "/" + id, ADMIN).json();
    for (String field : List.of("name", "cron", "every", "created_at", "updated_at")) {
      assertEquals(replaced.json().get(field), stored.get(field), field + " as stored");
    }
    assertEquals(
        404,
        http.put(SCHEDULES + "/nosuch", ADMIN, "{\"type\":\"noop\",\"every\":\"PT1S\"}").status());
    assertEquals(
        403, http.post(SCHEDULES + "/" + id + "/pause", READER, "").status(), "a reader may not");
    assertEquals(204, http.delete(SCHEDULES + "/" + id, ADMIN).status());
    assertEquals(404, http.get(SCHEDULES + "/" + id, ADMIN).status());
    assertTrue(jobsOf(id).size() >= before + 3, "its jobs stay");
    JsonArray events = http.get(SCHEDULES + "/" + id + "/events", READER).array();
    List<String> actions = new ArrayList<>();
    events.forEach(
        e ->
            actions.add(
                e.asJsonObject().getString("action") + ":" + e.asJsonObject().getString("actor")));
    assertEquals(
        List.of(
            "create:alice",
            "pause:alice",
            "trigger:alice",
            "resume:alice",
            "replace:alice",
            "delete:alice"),
        actions);
  }

  @Test
  void overlapSkipMakesNoJobWhileThePreviousRuns() {
    String id =
        schedule("{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"3500\"},\"every\":\"PT1S\"}")
            .getString("id");
    awaitJobs(id, j -> j.size() >= 1, 10_000);
    sleep(2500);
    assertEquals(1, jobsOf(id).size(), "its first job still runs");
    JsonObject s = http.get(SCHEDULES + "/" + id, ADMIN).json();
    int skipped = s.getJsonObject("runs").getInt("skipped");
    assertTrue(skipped >= 1, s.toString());
    // the metrics count its skipped due times as the schedule does (one instance here)
    assertTrue(awaitMetricAsCounted(id, "skipped") >= 1);
    assertTrue(awaitMetricAsCounted(id, "fired") >= 1);
    assertEquals(0, awaitMetricAsCounted(id, "missed"));
  }

  @Test
  void afterDowntimeMisfireSkipMakesNothingForMissedDueTimesRunOnceMakesOneJob() {
    assertEquals(204, http.post("/api/test/hooks/schedules/hold?on=true", ADMIN, "").status());
    long heldAt = System.currentTimeMillis();
    String skip =
        schedule("{\"type\":\"noop\",\"every\":\"PT1S\",\"overlap\":\"allow\"}").getString("id");
    String once =
        schedule(
                "{\"type\":\"noop\",\"every\":\"PT1S\",\"overlap\":\"allow\","
                    + "\"misfire\":\"run_once\"}")
            .getString("id");
    sleep(5000); // every instance "down": about five due times pass
    http.post("/api/test/hooks/schedules/hold?on=false", ADMIN, "");
    awaitJobs(skip, j -> j.size() >= 2, 10_000);
    awaitJobs(once, j -> j.size() >= 2, 10_000);
    for (String id : List.of(skip, once)) {
      JsonObject s = http.get(SCHEDULES + "/" + id, ADMIN).json();
      long missed = s.getJsonObject("runs").getInt("missed");
      assertTrue(missed >= 2, "the due times older than the 1 s grace were missed: " + s);
      // this instance found them missed, so its metrics count them, per schedule
      assertTrue(awaitMetricAsCounted(id, "missed") >= missed);
      // its due times are created_at + k s, k = 1, 2, ...; the first `missed` of them passed
      long first = Instant.parse(s.getString("created_at")).toEpochMilli() + 1000;
      long firstNotMissed = first + missed * 1000;
      List<Long> dues = new ArrayList<>();
      jobsOf(id).forEach(j -> dues.add(dueAt(j)));
      long forMissed = dues.stream().filter(d -> d < firstNotMissed).count();
      if (id.equals(skip)) {
        assertEquals(0, forMissed, "misfire skip: no job for a missed due time: " + dues);
      } else {
        assertEquals(1, forMissed, "misfire run_once: one job for all missed ones: " + dues);
        assertTrue(dues.contains(firstNotMissed - 1000), "keyed by the latest missed: " + dues);
      }
      assertTrue(dues.contains(firstNotMissed), "then on from the next: " + dues);
      assertTrue(dues.stream().allMatch(d -> d > heldAt));
    }
  }

  @Test
  void badDefinitionsAre400NamingTheField() {
    String[][] cases = {
      {"{\"type\":\"noop\",\"cron\":\"* * *\"}", "cron"},
      {"{\"type\":\"noop\",\"cron\":\"0 0 30 2 *\"}", "cron"},
      {"{\"type\":\"noop\"}", "cron"},
      {"{\"type\":\"noop\",\"cron\":\"* * * * *\",\"every\":\"PT1S\"}", "every"},
      {"{\"type\":\"noop\",\"every\":\"PT0.5S\"}", "every"},
      {"{\"type\":\"noop\",\"every\":\"P1M\"}", "every"},
      {"{\"type\":\"noop\",\"every\":\"PT1S\",\"time_zone\":\"Mars/Olympus\"}", "time_zone"},
      {"{\"type\":\"nope\",\"every\":\"PT1S\"}", "type"},
      {"{\"every\":\"PT1S\"}", "type"},
      {"{\"type\":\"noop\",\"every\":\"PT1S\",\"overlap\":\"sometimes\"}", "overlap"},
      {"{\"type\":\"noop\",\"every\":\"PT1S\",\"misfire\":\"all\"}", "misfire"},
      {"{\"type\":\"noop\",\"every\":10}", "every"},
      {"{\"type\":\"noop\",\"every\":\"PT1S\",\"data\":{\"n\":1}}", "data.n"},
      {"[]", "body"},
    };
    for (String[] c : cases) {
      Http.Reply r = http.post(SCHEDULES, ADMIN, c[0]);
      assertEquals(400, r.status(), c[0] + " -> " + r);
      assertTrue(r.json().getString("message").startsWith(c[1] + ":"), c[0] + " -> " + r);
    }
    assertEquals(404, http.get(SCHEDULES + "/nope", ADMIN).status());
    // the built-in retention runs on a schedule like any type; none exists by default
    for (JsonValue s : http.get(SCHEDULES, READER).json().getJsonArray("schedules")) {
      assertNotEquals("data_retention", s.asJsonObject().getString("type"), s.toString());
    }
    JsonObject retention =
        schedule(
            "{\"name\":\"retention\",\"type\":\"data_retention\","
                + "\"data\":{\"older_than_days\":\"90\"},\"cron\":\"0 3 * * *\","
                + "\"time_zone\":\"Europe/Paris\"}");
    assertEquals("90", retention.getJsonObject("data").getString("older_than_days"));
    assertEquals(401, http.get(SCHEDULES, null).status());
  }
}
