package dev.jobserver.it;

import static dev.jobserver.it.ItSupport.ADMIN;
import static dev.jobserver.it.ItSupport.READER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Remote types and the worker protocol (API.md "Remote types and workers"), as an administrator and
 * a worker see them over HTTP: declared types in every list and usable by every API, the in-process
 * engine leaving their jobs alone, and deletes refused while jobs are unfinished.
 */
class RemoteWorkersIT extends InServerTest {

  static final String TYPES = "/api/jobserver/v1/types/";
  static final String TAIPY = TestTokens.token("tina", "TAIPY_EDITOR");

  /** A type name of its own for each test: the database outlives the test classes. */
  static String newType() {
    return "rt" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  }

  Http.Reply put(String type, String body) {
    return http.send("PUT", TYPES + type, ADMIN, body, Map.of("Content-Type", "application/json"));
  }

  String declare(String body) {
    String type = newType();
    Http.Reply r = put(type, body);
    assertEquals(200, r.status(), r.toString());
    return type;
  }

  @Test
  void aDeclaredTypeIsListedAndUsableByEveryApiButNoHandlerRunsIt() {
    String type =
        declare(
            "{\"remote\":true,\"timeout\":\"PT2M\",\"max_attempts\":3,\"backoff\":\"PT5S\","
                + "\"max_concurrent\":2}");
    JsonObject listed = null;
    for (JsonValue v : http.get("/api/jobserver/v1/types", READER).array()) {
      if (v.asJsonObject().getString("type").equals(type)) {
        listed = v.asJsonObject();
      }
    }
    assertTrue(listed != null, "in the native list");
    assertTrue(listed.getBoolean("remote"));
    assertEquals(120_000, listed.getJsonNumber("timeout_ms").longValue());
    assertEquals(3, listed.getInt("max_attempts"));
    assertEquals(5000, listed.getJsonNumber("backoff_ms").longValue());
    assertEquals(2, listed.getInt("max_concurrent"));
    assertTrue(http.get("/api/v4/jobs/types", ADMIN).body().contains("\"" + type + "\""));
    boolean builtInListed = false;
    for (JsonValue v : http.get("/api/jobserver/v1/types", READER).array()) {
      if (v.asJsonObject().getString("type").equals("noop")) {
        builtInListed = !v.asJsonObject().getBoolean("remote");
      }
    }
    assertTrue(builtInListed, "built-in types stay, not remote");

    JsonObject v4 = ItSupport.create(http, type, "{\"x\":\"1\"}");
    Http.Reply v1 = http.post("/api/v1/jobs?task_id=" + type, TAIPY, "");
    assertEquals(201, v1.status(), v1.toString());
    Http.Reply nat =
        http.post(
            "/api/jobserver/v1/jobs",
            ADMIN,
            "{\"type\":\"" + type + "\",\"depends_on\":[\"" + v4.getString("id") + "\"]}");
    assertEquals(201, nat.status(), nat.toString());
    assertEquals("blocked", nat.json().getString("status"));
    assertEquals(3, nat.json().getInt("max_attempts"), "the type's attempts");
    Http.Reply schedule =
        http.post(
            "/api/jobserver/v1/schedules",
            ADMIN,
            "{\"type\":\"" + type + "\",\"every\":\"PT1H\",\"paused\":true}");
    assertEquals(201, schedule.status(), schedule.toString());
    http.delete("/api/jobserver/v1/schedules/" + schedule.json().getString("id"), ADMIN);

    ItSupport.sleep(1500); // the engine claims due jobs within its poll interval
    JsonObject still = http.get("/api/v4/jobs/" + v4.getString("id"), ADMIN).json();
    assertEquals("pending", still.getString("status"), "no handler here ran it: " + still);
    assertEquals(0, still.getJsonNumber("start_at").longValue());
  }

  @Test
  void typesAreCheckedAndDeletesRefusedWhileJobsAreUnfinished() {
    assertEquals(409, put("noop", "{\"remote\":true}").status(), "a built-in name");
    assertEquals(409, http.delete(TYPES + "noop", ADMIN).status(), "a built-in type");
    assertEquals(400, put("Bad-Name", "{\"remote\":true}").status());
    assertBad(put(newType(), "{}"), "remote");
    assertBad(put(newType(), "{\"remote\":true,\"timeout\":\"soon\"}"), "timeout");
    assertBad(put(newType(), "{\"remote\":true,\"timeout\":\"PT0S\"}"), "timeout");
    assertBad(put(newType(), "{\"remote\":true,\"max_attempts\":0}"), "max_attempts");
    assertBad(put(newType(), "{\"remote\":true,\"max_concurrent\":-1}"), "max_concurrent");
    assertBad(put(newType(), "{\"remote\":true,\"backoff\":\"P2D\"}"), "backoff");
    assertBad(put(newType(), "[1]"), "body");
    String type = newType();
    assertEquals(
        403,
        http.send(
                "PUT",
                TYPES + type,
                READER,
                "{\"remote\":true}",
                Map.of("Content-Type", "application/json"))
            .status());
    assertEquals(404, http.delete(TYPES + type, ADMIN).status());

    type = declare("{\"remote\":true}");
    JsonObject job = ItSupport.create(http, type, null);
    Http.Reply refused = http.delete(TYPES + type, ADMIN);
    assertEquals(409, refused.status(), refused.toString());
    assertTrue(refused.json().getString("message").contains("not finished"));
    assertEquals(
        200, http.post("/api/v4/jobs/" + job.getString("id") + "/cancel", ADMIN, "").status());
    assertEquals(204, http.delete(TYPES + type, ADMIN).status());
    assertFalse(http.get("/api/v4/jobs/types", ADMIN).body().contains("\"" + type + "\""));
    assertEquals(
        400,
        http.post("/api/v4/jobs", ADMIN, "{\"type\":\"" + type + "\"}").status(),
        "unknown again");
  }

  // ---- the worker protocol --------------------------------------------------------------------

  static final String WORKER = TestTokens.token("wendy", "jobs_worker");
  static final String CLAIMS = "/api/jobserver/v1/workers/claims";
  static final String JOBS = "/api/jobserver/v1/jobs/";

  Http.Reply claim(String type, String extra) {
    return http.post(
        CLAIMS,
        WORKER,
        "{\"worker\":\"w1\",\"types\":[\""
            + type
            + "\"]"
            + (extra == null ? "" : "," + extra)
            + "}");
  }

  JsonObject claimOne(String type, String extra) {
    Http.Reply r = claim(type, extra);
    assertEquals(200, r.status(), r.toString());
    assertEquals(1, r.json().getJsonArray("jobs").size(), r.toString());
    return r.json().getJsonArray("jobs").getJsonObject(0);
  }

  Http.Reply write(String id, String what, String body) {
    return http.post(JOBS + id + "/" + what, WORKER, body);
  }

  static String token(JsonObject claimed) {
    return "{\"lease_token\":" + claimed.getJsonNumber("lease_token").longValue();
  }

  String v4Status(String id) {
    return http.get("/api/v4/jobs/" + id, ADMIN).json().getString("status");
  }

  @Test
  void aWorkerClaimsHeartbeatsUploadsAndCompletesOnceWhateverItRepeats() {
    String type = declare("{\"remote\":true,\"max_attempts\":2}");
    Http.Reply v1 = http.post("/api/v1/jobs?task_id=" + type, TAIPY, "");
    assertEquals(201, v1.status(), v1.toString());
    String id = v1.json().getJsonObject("job").getString("id");
    JsonObject job = claimOne(type, "\"max\":5,\"lease_seconds\":30");
    assertEquals(id, job.getString("id"));
    assertEquals(type, job.getString("type"));
    assertEquals(1, job.getInt("attempt"));
    assertEquals(2, job.getInt("max_attempts"));
    assertTrue(job.getJsonNumber("lease_token").longValue() >= 1);
    assertEquals("in_progress", v4Status(id));
    String events = http.get(JOBS + id + "/events", ADMIN).body();
    assertTrue(events.contains("\"actor\":\"worker:wendy/w1\""), events);

    Http.Reply beat = write(id, "heartbeat", token(job) + ",\"progress\":40}");
    assertEquals(200, beat.status(), beat.toString());
    assertFalse(beat.json().getBoolean("cancel_requested"));
    assertEquals(40, http.get("/api/v4/jobs/" + id, ADMIN).json().getInt("progress"));

    Http.Reply upload =
        http.send(
            "PUT",
            JOBS + id + "/result",
            WORKER,
            "a,b\n1,2\n",
            Map.of(
                "Content-Type", "text/csv",
                "Content-Disposition", "attachment; filename=\"out.csv\"",
                "Jobserver-Lease-Token", "" + job.getJsonNumber("lease_token").longValue()));
    assertEquals(204, upload.status(), upload.toString());
    assertEquals(
        409,
        http.send(
                "PUT",
                JOBS + id + "/result",
                WORKER,
                "x",
                Map.of(
                    "Jobserver-Lease-Token",
                    "" + (job.getJsonNumber("lease_token").longValue() + 1)))
            .status(),
        "another token writes no result");

    Http.Reply done = write(id, "complete", token(job) + ",\"message\":\"cleaned\"}");
    assertEquals(200, done.status(), done.toString());
    assertEquals("completed", done.json().getString("status"));
    Http.Reply again = write(id, "complete", token(job) + ",\"message\":\"cleaned\"}");
    assertEquals(200, again.status(), "a repeat answers the same: " + again);
    assertEquals("completed", again.json().getString("status"));
    assertEquals(409, write(id, "fail", token(job) + ",\"error\":\"late\"}").status());
    assertEquals(409, write(id, "heartbeat", token(job) + "}").status(), "the run is over");
    assertEquals(
        "Status.COMPLETED",
        http.get("/api/v1/jobs/" + id, TAIPY).json().getJsonObject("job").getString("status"));
    assertEquals("a,b\n1,2\n", http.get(JOBS + id + "/result", ADMIN).body());
    Http.Reply workers = http.get("/api/jobserver/v1/workers", READER);
    assertEquals(200, workers.status(), workers.toString());
    JsonObject w1 = null;
    for (JsonValue v : workers.json().getJsonArray("workers")) {
      if (v.asJsonObject().getString("worker").equals("w1")) {
        w1 = v.asJsonObject();
      }
    }
    assertTrue(w1 != null, "the worker is listed: " + workers.body());
    assertEquals("wendy", w1.getString("subject"));
    assertTrue(w1.getJsonArray("types").toString().contains(type), w1.toString());
    assertEquals(403, http.get("/api/jobserver/v1/workers", WORKER).status());
    String metrics =
        new Http(base.getProtocol() + "://" + base.getAuthority()).get("/metrics", null).body();
    assertTrue(
        java.util.Arrays.stream(metrics.split("\n"))
            .anyMatch(
                l ->
                    l.startsWith("jobserver_worker_claims_total{")
                        && l.contains("type=\"" + type + "\"")),
        "the claims of the type counted");
    for (String name :
        new String[] {
          "jobserver_worker_heartbeats_total",
          "jobserver_worker_leases_lost_total",
          "jobserver_workers_connected"
        }) {
      assertTrue(metrics.contains(name), name + " in /metrics");
    }
    String after = http.get(JOBS + id + "/events", ADMIN).body();
    assertEquals(1, after.split("\"to\":\"completed\"", -1).length - 1, "completed once: " + after);
  }

  @Test
  void aWaitingClaimIsAnsweredByACreateAtOnceAndEmptyWhenItsWaitEnds() throws Exception {
    String type = declare("{\"remote\":true}");
    long t0 = System.currentTimeMillis();
    assertEquals(204, claim(type, "\"wait_seconds\":1").status());
    long waited = System.currentTimeMillis() - t0;
    assertTrue(waited >= 900 && waited < 5000, "waited " + waited + " ms");

    java.util.concurrent.CompletableFuture<Http.Reply> waiting =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> claim(type, "\"wait_seconds\":20"));
    ItSupport.sleep(1000);
    long created = System.currentTimeMillis();
    String id = ItSupport.create(http, type, "{\"n\":\"7\"}").getString("id");
    Http.Reply r = waiting.get(15, java.util.concurrent.TimeUnit.SECONDS);
    long latency = System.currentTimeMillis() - created;
    assertEquals(200, r.status(), r.toString());
    JsonObject job = r.json().getJsonArray("jobs").getJsonObject(0);
    assertEquals(id, job.getString("id"));
    assertEquals("7", job.getJsonObject("data").getString("n"));
    assertTrue(latency < 3000, "answered " + latency + " ms after the create");
    assertEquals(200, write(id, "skip", token(job) + ",\"reason\":\"nothing\"}").status());
    assertEquals("success", v4Status(id));
  }

  @Test
  void aCancelIsSeenAtTheHeartbeatAndFailuresRetryOrEnd() {
    String type = declare("{\"remote\":true,\"max_attempts\":3,\"backoff\":\"PT0S\"}");
    String id = ItSupport.create(http, type, null).getString("id");
    JsonObject job = claimOne(type, null);
    assertEquals(200, http.post("/api/v4/jobs/" + id + "/cancel", ADMIN, "").status());
    Http.Reply beat = write(id, "heartbeat", token(job) + "}");
    assertEquals(200, beat.status(), beat.toString());
    assertTrue(beat.json().getBoolean("cancel_requested"));
    Http.Reply stopped = write(id, "fail", token(job) + ",\"error\":\"stopped\"}");
    assertEquals(200, stopped.status(), stopped.toString());
    assertEquals("canceled", stopped.json().getString("status"));
    assertEquals(409, write(id, "heartbeat", token(job) + "}").status());

    String other = ItSupport.create(http, type, null).getString("id");
    JsonObject first = claimOne(type, null);
    Http.Reply retried =
        write(other, "fail", token(first) + ",\"error\":\"flaky\",\"retry_after_seconds\":0}");
    assertEquals(200, retried.status(), retried.toString());
    assertEquals("pending", retried.json().getString("status"));
    JsonObject second = claimOne(type, null);
    assertEquals(other, second.getString("id"));
    assertEquals(2, second.getInt("attempt"));
    assertTrue(
        second.getJsonNumber("lease_token").longValue()
            > first.getJsonNumber("lease_token").longValue(),
        "the token only grows");
    assertEquals(409, write(other, "complete", token(first) + "}").status(), "the old run's token");
    Http.Reply last =
        write(other, "fail", token(second) + ",\"error\":\"bad input\",\"retryable\":false}");
    assertEquals(200, last.status(), last.toString());
    assertEquals("failed", last.json().getString("status"));
    assertEquals("bad input", last.json().getString("error"));
  }

  @Test
  void aFinalFailureEndsTheJobWithAttemptsLeftAndKeepsItsMaxAttempts() {
    String type = declare("{\"remote\":true,\"max_attempts\":3,\"backoff\":\"PT0S\"}");
    String id = ItSupport.create(http, type, null).getString("id");
    JsonObject job = claimOne(type, null);
    assertEquals(1, job.getInt("attempt"));
    Http.Reply failed =
        write(id, "fail", token(job) + ",\"error\":\"bad input\",\"retryable\":false}");
    assertEquals(200, failed.status(), failed.toString());
    assertEquals("failed", failed.json().getString("status"));
    JsonObject read = http.get(JOBS + id, ADMIN).json();
    assertEquals("failed", read.getString("status"), read.toString());
    assertEquals(1, read.getInt("attempt"), "one attempt ran");
    assertEquals(3, read.getInt("max_attempts"), "the job's attempts are not rewritten");
    assertEquals("bad input", read.getString("error"));
    assertEquals(204, claim(type, null).status(), "not retried: nothing to claim");
    Http.Reply again =
        write(id, "fail", token(job) + ",\"error\":\"bad input\",\"retryable\":false}");
    assertEquals(200, again.status(), "a repeat answers the same: " + again);
    assertEquals(3, again.json().getInt("max_attempts"));
  }

  @Test
  void theHeartbeatsMessageIsTheJobsProgressMessage() {
    String type = declare("{\"remote\":true}");
    String id = ItSupport.create(http, type, "{\"file\":\"a.csv\"}").getString("id");
    JsonObject job = claimOne(type, null);
    Http.Reply beat =
        write(id, "heartbeat", token(job) + ",\"progress\":10,\"message\":\"reading a.csv\"}");
    assertEquals(200, beat.status(), beat.toString());
    JsonObject data = http.get(JOBS + id, ADMIN).json().getJsonObject("data");
    assertEquals("reading a.csv", data.getString("progress_message"), data.toString());
    assertEquals("a.csv", data.getString("file"), "the job's own data is kept");

    assertEquals(200, write(id, "heartbeat", token(job) + ",\"progress\":50}").status());
    assertEquals(
        "reading a.csv",
        http.get(JOBS + id, ADMIN).json().getJsonObject("data").getString("progress_message"),
        "a heartbeat without a message keeps the last one");
    assertEquals(
        200, write(id, "heartbeat", token(job) + ",\"message\":\"writing 3 rows\"}").status());
    JsonObject v4 = http.get("/api/v4/jobs/" + id, ADMIN).json();
    assertEquals("writing 3 rows", v4.getJsonObject("data").getString("progress_message"));
    assertEquals(50, v4.getInt("progress"));

    long other = job.getJsonNumber("lease_token").longValue() + 1;
    assertEquals(
        409,
        write(id, "heartbeat", "{\"lease_token\":" + other + ",\"message\":\"late\"}").status());
    assertEquals(200, write(id, "complete", token(job) + "}").status());
    JsonObject done = http.get(JOBS + id, ADMIN).json();
    assertEquals("completed", done.getString("status"));
    assertEquals(
        "writing 3 rows",
        done.getJsonObject("data").getString("progress_message"),
        "the last message stays; another token wrote none");
  }

  /** The IT server's JOBSERVER_RESULT_MAX_BYTES (pom.xml): 1 MiB. */
  static final int RESULT_LIMIT = 1024 * 1024;

  java.net.http.HttpResponse<String> upload(
      String id, JsonObject claimed, byte[] body, boolean chunked) throws Exception {
    java.net.http.HttpRequest.BodyPublisher publisher =
        chunked
            ? java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                () -> new java.io.ByteArrayInputStream(body))
            : java.net.http.HttpRequest.BodyPublishers.ofByteArray(body);
    java.net.http.HttpRequest r =
        java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(base.toString().replaceAll("/$", "") + JOBS + id + "/result"))
            .timeout(java.time.Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + WORKER)
            .header("Content-Type", "application/octet-stream")
            .header("Jobserver-Lease-Token", "" + claimed.getJsonNumber("lease_token").longValue())
            .PUT(publisher)
            .build();
    return java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1)
        .build()
        .send(r, java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aResultOverTheSizeLimitIs413AndNothingIsKept() throws Exception {
    String type = declare("{\"remote\":true}");
    String over = ItSupport.create(http, type, null).getString("id");
    JsonObject job = claimOne(type, null);
    byte[] tooLarge = new byte[RESULT_LIMIT + 1];
    java.util.Arrays.fill(tooLarge, (byte) 'x');
    var declared = upload(over, job, tooLarge, false);
    assertEquals(413, declared.statusCode(), "Content-Length over the limit: " + declared.body());
    assertTrue(declared.body().contains("\"message\""), declared.body());
    assertTrue(declared.body().contains(RESULT_LIMIT + " bytes"), declared.body());
    var streamed = upload(over, job, tooLarge, true);
    assertEquals(413, streamed.statusCode(), "streamed past the limit: " + streamed.body());
    assertTrue(streamed.body().contains(RESULT_LIMIT + " bytes"), streamed.body());
    assertEquals(200, write(over, "complete", token(job) + "}").status(), "the lease is kept");
    Http.Reply none = http.get(JOBS + over + "/result", ADMIN);
    assertEquals(404, none.status(), "nothing kept: " + none);

    String fits = ItSupport.create(http, type, null).getString("id");
    JsonObject second = claimOne(type, null);
    byte[] exactly = new byte[RESULT_LIMIT];
    java.util.Arrays.fill(exactly, (byte) 'y');
    assertEquals(204, upload(fits, second, exactly, true).statusCode(), "the limit itself fits");
    assertEquals(200, write(fits, "complete", token(second) + "}").status());
    Http.Reply kept = http.get(JOBS + fits + "/result", ADMIN);
    assertEquals(200, kept.status(), kept.toString());
    assertEquals(RESULT_LIMIT, kept.bytes().length);
  }

  @Test
  void anExpiredLeaseIsRecoveredAndTheLateAnswerIsRefused() {
    String type = declare("{\"remote\":true,\"max_attempts\":2}");
    String id = ItSupport.create(http, type, null).getString("id");
    JsonObject lost = claimOne(type, "\"lease_seconds\":5");
    ItSupport.await(http, id, j -> j.getString("status").equals("pending"), 15_000);
    assertEquals(409, write(id, "complete", token(lost) + "}").status(), "late answer");
    assertEquals(409, write(id, "heartbeat", token(lost) + "}").status());
    JsonObject again = claimOne(type, null);
    assertEquals(2, again.getInt("attempt"));
    assertEquals(200, write(id, "complete", token(again) + "}").status());
    assertEquals(409, write(id, "complete", token(lost) + "}").status(), "never overwrites");
    assertEquals("success", v4Status(id));
  }

  @Test
  void limitsHoldAcrossClaimsAndBadInputIsRefused() {
    String type = declare("{\"remote\":true,\"max_concurrent\":1}");
    ItSupport.create(http, type, null);
    ItSupport.create(http, type, null);
    JsonObject held = claimOne(type, "\"max\":5");
    assertEquals(204, claim(type, "\"max\":5").status(), "the type's one slot is taken");
    assertEquals(200, write(held.getString("id"), "complete", token(held) + "}").status());
    claimOne(type, "\"max\":5");

    assertBad(claim(type, "\"max\":0"), "max");
    assertBad(claim(type, "\"max\":101"), "max");
    assertBad(claim(type, "\"lease_seconds\":4"), "lease_seconds");
    assertBad(claim(type, "\"wait_seconds\":31"), "wait_seconds");
    assertBad(claim("noop", null), "types");
    assertBad(http.post(CLAIMS, WORKER, "{\"types\":[\"" + type + "\"]}"), "worker");
    assertBad(http.post(CLAIMS, WORKER, "nope"), "body");
    assertBad(write(held.getString("id"), "heartbeat", "{}"), "lease_token");
    assertBad(write(held.getString("id"), "heartbeat", "{\"lease_token\":\"x\"}"), "lease_token");
    assertBad(write(held.getString("id"), "fail", token(held) + "}"), "error");
    assertBad(
        write(held.getString("id"), "heartbeat", token(held) + ",\"progress\":101}"), "progress");
    assertEquals(
        403, http.post(CLAIMS, ADMIN, "{\"worker\":\"w\",\"types\":[\"" + type + "\"]}").status());
    assertEquals(
        403, http.get("/api/v4/jobs", WORKER).status(), "a worker token does nothing else");
    assertEquals(
        404, write("nosuchjobnosuchjobnosuchjo", "heartbeat", "{\"lease_token\":1}").status());
    assertEquals(409, write(held.getString("id"), "complete", "{\"lease_token\":999999}").status());
  }

  static void assertBad(Http.Reply r, String field) {
    assertEquals(400, r.status(), r.toString());
    assertTrue(r.json().getString("message").startsWith(field + ":"), r.toString());
  }
}
