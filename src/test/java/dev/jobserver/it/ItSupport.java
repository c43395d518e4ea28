package dev.jobserver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.JsonObject;
import java.util.function.Predicate;

/** Shared steps of the in-server tests. */
public final class ItSupport {
  public static final String ADMIN = TestTokens.token("alice", "manage_jobs");
  public static final String READER = TestTokens.token("rita", "read_jobs");

  private ItSupport() {}

  public static JsonObject create(Http http, String type, String dataJson) {
    Http.Reply r =
        http.post(
            "/api/v4/jobs",
            ADMIN,
            "{\"type\":\"" + type + "\"" + (dataJson == null ? "" : ",\"data\":" + dataJson) + "}");
    assertEquals(201, r.status(), r.toString());
    return r.json();
  }

  /** Polls the job until the condition holds (or fails after the timeout). */
  public static JsonObject await(
      Http http, String id, Predicate<JsonObject> condition, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    JsonObject last = null;
    while (System.currentTimeMillis() < deadline) {
      Http.Reply r = http.get("/api/v4/jobs/" + id, ADMIN);
      assertEquals(200, r.status(), r.toString());
      last = r.json();
      if (condition.test(last)) {
        return last;
      }
      sleep(25);
    }
    return fail(
        "job " + id + " did not reach the expected state in " + timeoutMs + " ms; last: " + last);
  }

  public static JsonObject awaitStatus(Http http, String id, String status, long timeoutMs) {
    return await(http, id, j -> j.getString("status").equals(status), timeoutMs);
  }

  public static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
