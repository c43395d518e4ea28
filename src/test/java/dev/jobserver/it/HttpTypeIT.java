package dev.jobserver.it;

import static dev.jobserver.it.ItSupport.ADMIN;
import static dev.jobserver.it.ItSupport.READER;
import static dev.jobserver.it.ItSupport.sleep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The built-in {@code http} type against receivers in this JVM, on the loopback ports that the
 * build's JOBSERVER_HTTP_ALLOW names (it.http.port, it.http.port2), with the build's test-only
 * signing keys: retries honouring Retry-After, one Idempotency-Key for every attempt, signatures a
 * receiver verifies, 4xx failing at once, the result downloadable, allow-list and redirect
 * refusals, timeouts, and a cancel that closes the connection in flight.
 */
class HttpTypeIT extends InServerTest {

  private static final String NATIVE = "/api/jobserver/v1";
  private static final String KEY = "it-only-signing-key-not-a-secret";
  private static final String PREVIOUS_KEY = "it-only-previous-key-not-a-secret";
  private static final int PORT = Integer.getInteger("it.http.port", 19300);
  private static final int PORT2 = Integer.getInteger("it.http.port2", 19301);
  private static final String BASE = "http://127.0.0.1:" + PORT;

  /** A request the receiver saw. */
  record Seen(long at, String method, String path, Map<String, List<String>> headers, byte[] body) {
    String header(String name) {
      List<String> v = headers.get(name);
      return v == null || v.isEmpty() ? null : v.get(0);
    }
  }

  /** What a path answers: status, headers, body, one answer per request in turn (last repeats). */
  record Answer(int status, Map<String, String> headers, String body) {}

  /** A Retry-After header's value that is replaced with an HTTP date 2 s after the answer. */
  private static final String IN_TWO_SECONDS = "<in two seconds>";

  private volatile String retryAfterDate;
  private HttpServer receiver;
  private final Map<String, List<Answer>> answers = new ConcurrentHashMap<>();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), PORT), 50);
    receiver.createContext("/", this::answer);
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  private void answer(HttpExchange x) throws IOException {
    byte[] body = x.getRequestBody().readAllBytes();
    String path = x.getRequestURI().getPath();
    seen.add(
        new Seen(
            System.currentTimeMillis(),
            x.getRequestMethod(),
            path,
            Map.copyOf(x.getRequestHeaders()),
            body));
    List<Answer> list = answers.getOrDefault(path, List.of(new Answer(404, Map.of(), "nothing")));
    long earlier = seen.stream().filter(s -> s.path().equals(path)).count() - 1;
    Answer a = list.get((int) Math.min(earlier, list.size() - 1));
    a.headers()
        .forEach(
            (k, v) -> {
              if (v.equals(IN_TWO_SECONDS)) {
                v =
                    DateTimeFormatter.RFC_1123_DATE_TIME.format(
                        Instant.now().plusSeconds(2).atZone(ZoneOffset.UTC));
                retryAfterDate = v;
              }
              x.getResponseHeaders().add(k, v);
            });
    byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(a.status(), out.length == 0 ? -1 : out.length);
    try (OutputStream o = x.getResponseBody()) {
      o.write(out);
    }
  }

  private List<Seen> seenAt(String path) {
    return seen.stream().filter(s -> s.path().equals(path)).toList();
  }

  private String createNative(String dataJson, String extra) {
    Http.Reply r =
        http.post(NATIVE + "/jobs", ADMIN, "{\"type\":\"http\",\"data\":" + dataJson + extra + "}");
    assertEquals(201, r.status(), r.toString());
    return r.json().getString("id");
  }

  private JsonObject job(String id) {
    return http.get(NATIVE + "/jobs/" + id, ADMIN).json();
  }

  private JsonObject awaitJob(String id, Predicate<JsonObject> condition, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    JsonObject last = null;
    while (System.currentTimeMillis() < deadline) {
      last = job(id);
      if (condition.test(last)) {
        return last;
      }
      sleep(50);
    }
    return fail("job " + id + " did not get there in " + timeoutMs + " ms; last: " + last);
  }

  private JsonObject awaitStatus(String id, String status, long timeoutMs) {
    return awaitJob(id, j -> j.getString("status").equals(status), timeoutMs);
  }

  /** Verifies a Jobserver-Signature as a receiver does: each v1 against each key it knows. */
  private static void assertSigned(Seen s) throws Exception {
    String header = s.header("Jobserver-signature");
    assertNotNull(header, "no Jobserver-Signature on " + s.path());
    String t = null;
    List<String> v1 = new ArrayList<>();
    for (String part : header.split(",")) {
      String[] kv = part.trim().split("=", 2);
      if (kv[0].equals("t")) {
        t = kv[1];
      } else if (kv[0].equals("v1")) {
        v1.add(kv[1]);
      }
    }
    assertNotNull(t, header);
    long age = Instant.now().getEpochSecond() - Long.parseLong(t);
    assertTrue(age >= -5 && age < 300, "timestamp " + t + " is " + age + " s old");
    assertEquals(List.of(hmac(KEY, t, s.body()), hmac(PREVIOUS_KEY, t, s.body())), v1, header);
    // a receiver that knows only one of the keys still finds its signature, in constant time
    assertTrue(
        MessageDigest.isEqual(
            hmac(PREVIOUS_KEY, t, s.body()).getBytes(),
            v1.get(1).getBytes(StandardCharsets.UTF_8)));
    assertFalse(v1.contains(hmac("another-key", t, s.body())));
  }

  private static String hmac(String key, String t, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    mac.update((t + ".").getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(mac.doFinal(body));
  }

  @Test
  void retriesHonourRetryAfterWithOneIdempotencyKeyAndSignedAttempts() throws Exception {
    answers.put(
        "/flaky",
        List.of(
            new Answer(503, Map.of("Retry-After", "1"), "busy, come back"),
            new Answer(429, Map.of("Retry-After", IN_TWO_SECONDS), "too many"),
            new Answer(200, Map.of("Content-Type", "application/json"), "{\"done\":true}")));
    String body = "{\"order\":42,\"note\":\"h\u00e9\"}";
    String id =
        createNative(
            Json.createObjectBuilder()
                .add("url", BASE + "/flaky?x=1")
                .add("body", body)
                .add("header.X-Trace", "t-1")
                .build()
                .toString(),
            "");
    JsonObject done = awaitStatus(id, "completed", 30_000);
    assertEquals(3, done.getInt("attempt"));
    assertEquals("200", done.getJsonObject("data").getString("http_status"));
    List<Seen> calls = seenAt("/flaky");
    assertEquals(3, calls.size());
    for (Seen s : calls) {
      assertEquals("POST", s.method());
      assertEquals(id, s.header("Idempotency-key"));
      assertEquals("t-1", s.header("X-trace"));
      assertEquals("application/json", s.header("Content-type"));
      assertEquals(body, new String(s.body(), StandardCharsets.UTF_8));
      assertSigned(s);
    }
    // Retry-After, not the type's backoff (10 s, then 20 s): 1 s, then until the date
    long first = calls.get(1).at() - calls.get(0).at();
    long second = calls.get(2).at() - calls.get(1).at();
    assertTrue(first >= 900 && first < 8_000, "first retry after " + first + " ms");
    // the date is whole seconds: 2 s after the answer, cut, is at least 1 s after it
    assertTrue(second >= 900 && second < 8_000, "second retry after " + second + " ms");
    long date = Instant.parse(isoOf(retryAfterDate)).toEpochMilli();
    assertTrue(
        calls.get(2).at() >= date - 100,
        "the third attempt came before the Retry-After date " + retryAfterDate);
    // the events say each retry; the response is the result, downloadable by a reader
    Http.Reply download = http.get("/api/v4/jobs/" + id + "/download", READER);
    assertEquals(200, download.status(), download.toString());
    assertEquals("{\"done\":true}", download.body());
    assertTrue(download.header("Content-Type").startsWith("application/json"), download.toString());
    assertEquals("application/json", done.getJsonObject("result").getString("content_type"));
  }

  private static String isoOf(String httpDate) {
    return DateTimeFormatter.ISO_INSTANT.format(
        DateTimeFormatter.RFC_1123_DATE_TIME.parse(httpDate, Instant::from));
  }

  @Test
  void aClientErrorFailsAtOnceNamingTheStatusAndTheResponse() {
    answers.put("/gone", List.of(new Answer(404, Map.of(), "no such hook: " + "x".repeat(2000))));
    String id =
        createNative("{\"url\":\"" + BASE + "/gone\",\"method\":\"PUT\",\"body\":\"{}\"}", "");
    JsonObject failed = awaitStatus(id, "failed", 20_000);
    assertEquals(1, failed.getInt("attempt"));
    assertEquals(5, failed.getInt("max_attempts"));
    String error = failed.getString("error");
    assertTrue(error.startsWith("HTTP 404 from PUT " + BASE + "/gone: no such hook: xxx"), error);
    assertTrue(error.length() < 700, "the error holds only the start: " + error.length());
    assertEquals("404", failed.getJsonObject("data").getString("http_status"));
    sleep(1_500);
    assertEquals(1, seenAt("/gone").size(), "a 404 is not retried");
    assertTrue(failed.isNull("result"), "a failed call keeps no result: " + failed);
  }

  @Test
  void redirectsAreFollowedOnTheSameOriginOnly() {
    answers.put("/hop", List.of(new Answer(307, Map.of("Location", "/landing"), "")));
    answers.put("/landing", List.of(new Answer(200, Map.of(), "arrived")));
    String id = createNative("{\"url\":\"" + BASE + "/hop\",\"body\":\"{\\\"a\\\":1}\"}", "");
    awaitStatus(id, "completed", 20_000);
    Seen landed = seenAt("/landing").get(0);
    assertEquals("POST", landed.method()); // 307 keeps the method and the body
    assertEquals("{\"a\":1}", new String(landed.body(), StandardCharsets.UTF_8));
    assertEquals(id, landed.header("Idempotency-key"));

    // localhost is another host than 127.0.0.1 (and no prefix allows it): not followed
    answers.put(
        "/away",
        List.of(new Answer(302, Map.of("Location", "http://localhost:" + PORT + "/landing"), "")));
    int landings = seenAt("/landing").size();
    String away = createNative("{\"url\":\"" + BASE + "/away\"}", "");
    JsonObject failed = awaitStatus(away, "failed", 20_000);
    assertEquals(1, failed.getInt("attempt"));
    assertTrue(failed.getString("error").contains("redirect to another host"), failed.toString());
    assertEquals(landings, seenAt("/landing").size(), "the redirect was followed");
  }

  @Test
  void aUrlOutsideTheAllowListIsA400NamingUrlOnEveryCreatePath() {
    for (String url :
        List.of(
            "http://127.0.0.1:" + (PORT2 + 1) + "/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost:" + PORT + "/hook",
            "http://127.0.0.1:" + PORT + "@evil.example/hook",
            "file:///etc/passwd")) {
      String data = Json.createObjectBuilder().add("url", url).build().toString();
      Http.Reply v4 = http.post("/api/v4/jobs", ADMIN, "{\"type\":\"http\",\"data\":" + data + "}");
      assertEquals(400, v4.status(), url + ": " + v4);
      assertTrue(v4.body().contains("data.url"), v4.toString());
      Http.Reply nat =
          http.post(NATIVE + "/jobs", ADMIN, "{\"type\":\"http\",\"data\":" + data + "}");
      assertEquals(400, nat.status(), url + ": " + nat);
      assertTrue(nat.body().contains("data.url"), nat.toString());
      Http.Reply schedule =
          http.post(
              NATIVE + "/schedules",
              ADMIN,
              "{\"type\":\"http\",\"every\":\"PT1H\",\"data\":" + data + "}");
      assertEquals(400, schedule.status(), url + ": " + schedule);
      assertTrue(schedule.body().contains("data.url"), schedule.toString());
    }
    // the Taipy API creates jobs without data: an http job has no url there
    Http.Reply taipy =
        http.post("/api/v1/jobs?task_id=http", TestTokens.token("ed", "TAIPY_EDITOR"), "");
    assertEquals(400, taipy.status(), taipy.toString());
    assertTrue(taipy.body().contains("data.url"), taipy.toString());
    // other keys are named too
    Http.Reply badTimeout =
        http.post(
            NATIVE + "/jobs",
            ADMIN,
            "{\"type\":\"http\",\"data\":{\"url\":\"" + BASE + "/\",\"timeout_ms\":\"-1\"}}");
    assertEquals(400, badTimeout.status());
    assertTrue(badTimeout.body().contains("data.timeout_ms"), badTimeout.toString());
    assertTrue(seen.isEmpty(), "nothing was called: " + seen);
  }

  @Test
  void aTimeoutIsRetriedWithTheTypesBackoffAndFailsWhenNoAttemptIsLeft() throws Exception {
    try (ServerSocket silent = new ServerSocket(PORT2, 50, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> holdConnections(silent, new CountDownLatch(1), null));
      t.setDaemon(true);
      t.start();
      String url = "http://127.0.0.1:" + PORT2 + "/slow";
      String retried =
          createNative("{\"url\":\"" + url + "\",\"timeout_ms\":\"700\"}", ",\"max_attempts\":2");
      // back to pending after its first attempt, the next one 10 s away (the type's backoff)
      JsonObject pending =
          awaitJob(
              retried,
              j -> j.getInt("attempt") == 1 && j.getString("status").equals("pending"),
              20_000);
      assertTrue(pending.getString("error").contains("timed out after 700 ms"), pending.toString());
      long runAt = Instant.parse(pending.getString("run_at")).toEpochMilli();
      long finished = Instant.parse(pending.getString("updated_at")).toEpochMilli();
      assertTrue(
          runAt - finished >= 9_000 && runAt - finished <= 11_000,
          "retry " + (runAt - finished) + " ms after the timeout");
      http.post(NATIVE + "/jobs/" + retried + "/cancel", ADMIN, "");
      awaitStatus(retried, "canceled", 10_000);
      String last =
          createNative("{\"url\":\"" + url + "\",\"timeout_ms\":\"500\"}", ",\"max_attempts\":1");
      JsonObject failed = awaitStatus(last, "failed", 20_000);
      assertTrue(failed.getString("error").contains("timed out after 500 ms"), failed.toString());
    }
  }

  @Test
  void cancelAbortsTheRequestInFlight() throws Exception {
    try (ServerSocket hold = new ServerSocket(PORT2, 50, InetAddress.getLoopbackAddress())) {
      CountDownLatch accepted = new CountDownLatch(1);
      AtomicLong closedAt = new AtomicLong();
      Thread t = new Thread(() -> holdConnections(hold, accepted, closedAt));
      t.setDaemon(true);
      t.start();
      String id =
          createNative(
              "{\"url\":\"http://127.0.0.1:" + PORT2 + "/long\",\"timeout_ms\":\"600000\"}", "");
      assertTrue(accepted.await(20, TimeUnit.SECONDS), "the job never called");
      awaitStatus(id, "running", 10_000);
      sleep(300);
      long canceledAt = System.currentTimeMillis();
      Http.Reply cancel = http.post("/api/v4/jobs/" + id + "/cancel", ADMIN, "");
      assertEquals(200, cancel.status(), cancel.toString());
      awaitStatus(id, "canceled", 10_000);
      long deadline = System.currentTimeMillis() + 5_000;
      while (closedAt.get() == 0 && System.currentTimeMillis() < deadline) {
        sleep(20);
      }
      assertTrue(closedAt.get() > 0, "the connection was still open 5 s after the cancel");
      assertTrue(
          closedAt.get() - canceledAt < 3_000,
          "closed " + (closedAt.get() - canceledAt) + " ms after the cancel");
    }
  }

  /**
   * Accepts connections one at a time, reads each request, answers nothing, and notes when the
   * client closes the connection (its read ends); returns when the server socket is closed.
   */
  private static void holdConnections(
      ServerSocket server, CountDownLatch accepted, AtomicLong closedAt) {
    while (true) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException closed) {
        return;
      }
      accepted.countDown();
      try (s) {
        InputStream in = s.getInputStream();
        byte[] buffer = new byte[8192];
        while (in.read(buffer) >= 0) {
          // the request, then nothing until the client goes
        }
      } catch (IOException reset) {
        // reset by the client: closed too
      }
      if (closedAt != null) {
        closedAt.compareAndSet(0, System.currentTimeMillis());
      }
    }
  }
}
