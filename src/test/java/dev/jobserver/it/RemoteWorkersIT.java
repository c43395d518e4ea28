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

  static void assertBad(Http.Reply r, String field) {
    assertEquals(400, r.status(), r.toString());
    assertTrue(r.json().getString("message").startsWith(field + ":"), r.toString());
  }
}
