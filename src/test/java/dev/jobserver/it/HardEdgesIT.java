package dev.jobserver.it;

import static dev.jobserver.it.ItSupport.ADMIN;
import static dev.jobserver.it.ItSupport.READER;
import static dev.jobserver.it.ItSupport.await;
import static dev.jobserver.it.ItSupport.create;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Issue 12's hard edges, tried as an attacker and an operator would: what a client sends can be a
 * 400, never a 500, an altered value or a description of the API; every error has a body in the
 * API's format, and every Content-Length is the bytes sent. One deployment for all of them.
 */
class HardEdgesIT extends InServerTest {

  private static final String NO_ROLE = TestTokens.token("eve", "some_other_app");
  private static final String TAIPY_ALL =
      TestTokens.token("tara", "TAIPY_READER", "TAIPY_EDITOR", "TAIPY_EXECUTOR", "TAIPY_ADMIN");

  /** Every reply: its Content-Length is the bytes that came, and it has an X-Request-Id. */
  private Http.Reply send(
      String method, String path, String token, String body, Map<String, String> headers) {
    Http.Reply r = http.send(method, path, token, body, headers);
    String length = r.header("Content-Length");
    if (length != null && !method.equals("HEAD")) {
      assertEquals(
          Long.parseLong(length), r.bytes().length, method + " " + path + ": Content-Length");
    }
    return r;
  }

  private static void assertAppError(Http.Reply r, int status, String id) {
    assertEquals(status, r.status(), r.toString());
    assertEquals("application/json", r.header("Content-Type"), r.toString());
    JsonObject e = r.json();
    assertEquals(id, e.getString("id"), r.toString());
    assertEquals(status, e.getInt("status_code"));
    assertEquals(r.header("X-Request-Id"), e.getString("request_id"));
  }

  private static long jobCount() {
    return ((Number) Db.query("SELECT COUNT(*) AS n FROM job").get(0).get("n")).longValue();
  }

  // ---- input -------------------------------------------------------------------------------

  @Test
  void jsonNestedTenThousandDeepIs400() {
    String arrays = "[".repeat(10_000) + "]".repeat(10_000);
    String objects = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
    for (String nested : List.of(arrays, objects)) {
      assertAppError(
          send(
              "POST",
              "/api/v4/jobs",
              ADMIN,
              "{\"type\":\"noop\",\"data\":" + nested + "}",
              Map.of("Content-Type", "application/json")),
          400,
          "api.context.invalid_body_param.app_error");
      assertAppError(
          send("POST", "/api/v4/jobs", ADMIN, nested, Map.of()),
          400,
          "api.context.invalid_body_param.app_error");
    }
    JsonObject job = create(http, "noop", null);
    assertAppError(
        send(
            "PATCH",
            "/api/v4/jobs/" + job.getString("id") + "/status",
            ADMIN,
            "{\"status\":" + arrays + "}",
            Map.of("Content-Type", "application/json")),
        400,
        "api.context.invalid_body_param.app_error");
    // the Taipy API reads no body: it is not parsed, whatever it holds
    Http.Reply taipy = send("POST", "/api/v1/jobs?task_id=noop", TAIPY_ALL, arrays, Map.of());
    assertEquals(201, taipy.status(), taipy.toString());
  }

  @Test
  void priorityOutsideOneMillionIs400WhateverItsDigits() {
    long before = jobCount();
    for (String p :
        List.of(
            "18446744073709551617",
            "-9223372036854775808",
            "4294967296",
            "1000001",
            "1e3",
            "2.5",
            "1" + "0".repeat(3000),
            "\"1\"")) {
      Http.Reply r =
          send(
              "POST",
              "/api/v4/jobs",
              ADMIN,
              "{\"type\":\"noop\",\"priority\":" + p + "}",
              Map.of("Content-Type", "application/json"));
      assertAppError(r, 400, "api.context.invalid_body_param.app_error");
    }
    assertEquals(before, jobCount(), "no job was created");
    Http.Reply edge = http.post("/api/v4/jobs", ADMIN, "{\"type\":\"noop\",\"priority\":-1000000}");
    assertEquals(201, edge.status(), edge.toString());
    assertEquals(-1_000_000, edge.json().getInt("priority"));
  }

  @Test
  void dataIsKeptExactlyOrRefused() {
    Map<String, String> data = new LinkedHashMap<>();
    data.put("nul", "before\u0000after");
    data.put("\u0000key", "a NUL in the key");
    data.put("bidi", "\u202Eevil\u202C \u2066iso\u2069 \u200F\u200E");
    data.put(
        "emoji",
        "\uD83D\uDE00 \uD83D\uDC69\u200D\uD83D\uDC69\u200D\uD83D\uDC67 \uD83C\uDDE9\uD83C\uDDEA");
    data.put("crlf", "line 1\r\nline 2\rline 3\n");
    data.put("", "an empty key");
    data.put("quotes", "\"double\" 'single' \\back\\slash / `tick`");
    data.put("controls", "\t\b\f\u001F\u007F");
    data.put("bom", "\uFEFFstart");
    data.put("nonchar", "\uFFFF\uFFFE");
    data.put("astral", "\uD800\uDC00 \uDBFF\uDFFF");
    var builder = Json.createObjectBuilder();
    data.forEach(builder::add);
    String body =
        Json.createObjectBuilder().add("type", "noop").add("data", builder).build().toString();
    Http.Reply created =
        send("POST", "/api/v4/jobs", ADMIN, body, Map.of("Content-Type", "application/json"));
    assertEquals(201, created.status(), created.toString());
    String id = created.json().getString("id");
    assertEquals(data, strings(created.json().getJsonObject("data")), "as created");
    JsonObject got = await(http, id, j -> j.getString("status").equals("success"), 20_000);
    assertEquals(data, strings(got.getJsonObject("data")), "as read back from the database");

    // a lone surrogate (JSON can escape one) or bytes that are not UTF-8: refused, not altered
    long before = jobCount();
    for (String bad :
        List.of(
            "{\"type\":\"noop\",\"data\":{\"a\":\"x\\ud800y\"}}",
            "{\"type\":\"noop\",\"data\":{\"a\":\"\\udc00\"}}",
            "{\"type\":\"noop\",\"data\":{\"\\ud83d\":\"lone high surrogate in a key\"}}")) {
      assertAppError(
          send("POST", "/api/v4/jobs", ADMIN, bad, Map.of("Content-Type", "application/json")),
          400,
          "api.context.invalid_body_param.app_error");
    }
    assertAppError(
        sendBytes(
            "/api/v4/jobs",
            "{\"type\":\"noop\",\"data\":{\"a\":\"caf\u00e9\"}}"
                .getBytes(StandardCharsets.ISO_8859_1)),
        400,
        "api.context.invalid_body_param.app_error");
    assertEquals(before, jobCount(), "nothing was stored");
  }

  private static Map<String, String> strings(JsonObject o) {
    Map<String, String> out = new LinkedHashMap<>();
    o.forEach((k, v) -> out.put(k, o.getString(k)));
    return out;
  }

  private Http.Reply sendBytes(String path, byte[] body) {
    try {
      HttpResponse<byte[]> r =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create(base + path.substring(1)))
                      .header("Authorization", "Bearer " + ADMIN)
                      .header("Content-Type", "application/json")
                      .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());
      return new Http.Reply(r.statusCode(), r.headers().map(), r.body());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  // ---- routes ------------------------------------------------------------------------------

  @Test
  void theConsoleIsRevalidatedOnEveryLoadSoAnUpgradeNeverMixesItsModules() {
    for (String path : new String[] {"/", "/console/app.js", "/api-docs/"}) {
      Http.Reply r = http.get(path, null);
      assertEquals(200, r.status(), path);
      assertEquals("no-cache", r.header("Cache-Control"), path);
    }
  }

  @Test
  void theErrorPageIsNoRoute() {
    for (String method : List.of("GET", "POST", "DELETE", "PUT")) {
      for (String token : new String[] {null, ADMIN}) {
        Http.Reply r = send(method, "/_error", token, null, Map.of());
        assertAppError(r, 404, "api.context.404.app_error");
      }
    }
    assertEquals(404, send("GET", "/_error?x=1", null, null, Map.of()).status());
  }

  @Test
  void anEmptyJobTypeIsNoRouteAsUpstream() {
    for (String token : new String[] {ADMIN, READER, null}) {
      assertAppError(
          send("GET", "/api/v4/jobs/type/", token, null, Map.of()),
          404,
          "api.context.404.app_error");
    }
    // without the slash, Mattermost's router takes "type" for a job id, and so do we
    assertAppError(
        send("GET", "/api/v4/jobs/type", ADMIN, null, Map.of()),
        400,
        "api.context.invalid_url_param.app_error");
    assertEquals(200, send("GET", "/api/v4/jobs/type/sleep", READER, null, Map.of()).status());
    assertAppError(
        send("GET", "/api/v4/jobs/type/nope", ADMIN, null, Map.of()),
        400,
        "api.context.invalid_url_param.app_error");
  }

  /** Every route of both APIs, with ids of a real job (each must refuse before reading it). */
  private List<String> routes() {
    String v4 = create(http, "noop", null).getString("id");
    Http.Reply t = http.post("/api/v1/jobs?task_id=noop", TAIPY_ALL, null);
    assertEquals(201, t.status(), t.toString());
    String v1 = t.json().getJsonObject("job").getString("id");
    return List.of(
        "/api/v4/jobs",
        "/api/v4/jobs/types",
        "/api/v4/jobs/" + v4,
        "/api/v4/jobs/" + v4 + "/download",
        "/api/v4/jobs/" + v4 + "/cancel",
        "/api/v4/jobs/" + v4 + "/status",
        "/api/v4/jobs/type/noop",
        "/api/v1/jobs",
        "/api/v1/jobs/",
        "/api/v1/jobs?task_id=noop",
        "/api/v1/jobs/" + v1,
        "/api/v1/jobs/cancel/" + v1,
        "/api/application.wadl",
        "/api/application.wadl?detail=true");
  }

  private static final List<String> METHODS =
      List.of(
          "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "FOO", "PROPFIND");

  private static final List<Map<String, String>> OVERRIDES =
      List.of(
          Map.of(),
          Map.of("X-HTTP-Method-Override", "GET"),
          Map.of("X-HTTP-Method-Override", "DELETE"),
          Map.of("X-HTTP-Method", "GET"),
          Map.of("X-Method-Override", "POST"),
          Map.of("Accept", "application/vnd.sun.wadl+xml"));

  @Test
  void nothingIsDescribedToACallerWithoutAValidToken() {
    List<String> routes = routes();
    long before = jobCount();
    List<String> failures = new ArrayList<>();
    for (String path : routes) {
      for (String method : METHODS) {
        for (Map<String, String> headers : OVERRIDES) {
          for (String token : new String[] {null, "not-a-jwt", TestTokens.expired("manage_jobs")}) {
            Http.Reply r = send(method, path, token, null, headers);
            String what = method + " " + path + " " + headers + (token == null ? "" : " bad token");
            if (method.equals("TRACE")) {
              // refused by the connector before any application code (it echoes nothing)
              if (r.status() != 405 || r.body().contains("Authorization")) {
                failures.add(what + " -> " + r);
              }
            } else if (r.status() != 401 && !(path.contains("wadl") && r.status() == 404)) {
              failures.add(what + " -> " + r.status() + " " + r.header("Content-Type"));
            } else if (!method.equals("HEAD") && !isJsonError(r)) {
              failures.add(what + " -> no JSON error body: " + r);
            } else if (r.header("Allow") != null || r.body().contains("wadl")) {
              failures.add(what + " -> describes the API: " + r.headers());
            }
          }
        }
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " failures:\n" + String.join("\n", failures));
    assertEquals(before, jobCount(), "no job was created");
  }

  @Test
  void noMethodBypassesTheRoleChecks() {
    List<String> routes = routes();
    long before = jobCount();
    List<String> failures = new ArrayList<>();
    for (String path : routes) {
      boolean v4 = path.startsWith("/api/v4");
      // a valid token without any role of the route's API (types is open to every role)
      List<String> tokens =
          path.endsWith("/types") ? List.of(NO_ROLE) : List.of(NO_ROLE, v4 ? TAIPY_ALL : ADMIN);
      for (String token : tokens) {
        for (String method : METHODS) {
          for (Map<String, String> headers : OVERRIDES) {
            Http.Reply r = send(method, path, token, null, headers);
            String what = method + " " + path + " " + headers;
            if (method.equals("OPTIONS")) {
              // a valid token may learn a route's methods (as the OpenAPI document says them),
              // and nothing more: no WADL, no data
              if (r.status() != 200 && r.status() != 404 || r.body().contains("<")) {
                failures.add(what + " -> " + r);
              }
            } else if (r.status() != 403
                && r.status() != 405
                && r.status() != 406 // JSON routes asked for WADL: refused before roles count
                && !(path.contains("wadl") && r.status() == 404)) {
              failures.add(what + " -> " + r.status() + " " + r.header("Content-Type"));
            } else if (!method.equals("HEAD") && !method.equals("TRACE") && !isJsonError(r)) {
              failures.add(what + " -> no JSON error body: " + r);
            }
          }
        }
      }
    }
    assertTrue(failures.isEmpty(), failures.size() + " failures:\n" + String.join("\n", failures));
    assertEquals(before, jobCount(), "no job was created");
  }

  private static boolean isJsonError(Http.Reply r) {
    if (!"application/json".equals(r.header("Content-Type"))) {
      return false;
    }
    try (JsonReader reader = Json.createReader(new StringReader(r.body()))) {
      JsonObject o = reader.readObject();
      return o.containsKey("message");
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Test
  void manyRangesAreAnsweredInFull() {
    String id = create(http, "job_export", "{\"type\":\"noop\"}").getString("id");
    await(http, id, j -> j.getString("status").equals("success"), 30_000);
    Http.Reply whole = send("GET", "/api/v4/jobs/" + id + "/download", ADMIN, null, Map.of());
    assertEquals(200, whole.status(), whole.toString());
    // about 17 KB of ranges with a trailing comma: was the connector's 400 without a body
    String ranges =
        "bytes="
            + IntStream.range(0, 2000).mapToObj(i -> i + "-" + i).collect(Collectors.joining(","))
            + ",";
    for (String range : List.of(ranges, "bytes=0-0,1-1,2-2,", "bytes=0-0,,,,", "bytes=,")) {
      Http.Reply r =
          send("GET", "/api/v4/jobs/" + id + "/download", ADMIN, null, Map.of("Range", range));
      assertEquals(200, r.status(), range.length() + " chars of Range: " + r.status());
      assertArrayEquals(whole.bytes(), r.bytes(), "several ranges: the whole file");
    }
    // a long header on any route reaches the API and its error format
    assertAppError(
        send("GET", "/api/v4/jobs", "x".repeat(30_000), null, Map.of()),
        401,
        "api.context.session_expired.app_error");
  }

  @Test
  void aJobExportSinceOutOfRangeFailsNamingIt() {
    String id =
        create(http, "job_export", "{\"since\":\"+999999999-12-31T23:59:59Z\"}").getString("id");
    JsonObject job = await(http, id, j -> j.getString("status").equals("error"), 30_000);
    String error = job.getJsonObject("data").getString("error");
    assertTrue(error.startsWith("data.since must be"), error);
  }

  // ---- slow clients and long histories -----------------------------------------------------

  /**
   * 60 clients download a 32 MiB result and stop reading (more than the 48 connections of the
   * pool): they hold no database connection, so creates and reads still answer. Before, each held a
   * connection and its transaction while its response waited, and a create waited for the pool.
   */
  @Test
  void clientsThatStopReadingADownloadHoldNoDatabaseConnection() throws Exception {
    String id = create(http, "noop", null).getString("id");
    await(http, id, j -> j.getString("status").equals("success"), 30_000);
    int chunk = 256 * 1024;
    int chunks = 128;
    byte[] bytes = new byte[chunk];
    Arrays.fill(bytes, (byte) 'z');
    try (Connection c = Db.connect()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO job_result (job_id, attempt, file_name, content_type, size, created_at)"
                  + " VALUES (?, 1, 'big.bin', 'application/octet-stream', ?, ?)")) {
        ps.setString(1, id);
        ps.setLong(2, (long) chunk * chunks);
        ps.setLong(3, System.currentTimeMillis());
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO job_result_chunk (job_id, seq, content) VALUES (?, ?, ?)")) {
        for (int seq = 0; seq < chunks; seq++) {
          ps.setString(1, id);
          ps.setInt(2, seq);
          ps.setBytes(3, bytes);
          ps.executeUpdate();
        }
      }
    }
    String prefix = base.getPath().endsWith("/") ? base.getPath() : base.getPath() + "/";
    byte[] request =
        ("GET "
                + prefix
                + "api/v4/jobs/"
                + id
                + "/download HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + ADMIN
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    List<Socket> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < 60; i++) {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096); // a small window: the server's writes stall at once
        s.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
        s.getOutputStream().write(request);
        s.getOutputStream().flush();
        stalled.add(s); // and never read
      }
      ItSupport.sleep(3000); // every download has begun and waits on its client
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> created = answered("POST", "/api/v4/jobs", "{\"type\":\"noop\"}");
        assertEquals(201, created.statusCode(), created.body());
        String newId =
            Json.createReader(new StringReader(created.body())).readObject().getString("id");
        assertEquals(200, answered("GET", "/api/v4/jobs/" + newId, null).statusCode());
        assertEquals(200, answered("GET", "/api/v4/jobs?per_page=5", null).statusCode());
      }
      // a client that reads gets the whole file, while the others still stall
      Http.Reply whole = http.get("/api/v4/jobs/" + id + "/download", ADMIN);
      assertEquals(200, whole.status());
      assertEquals((long) chunk * chunks, whole.bytes().length);
    } finally {
      for (Socket s : stalled) {
        s.close();
      }
    }
  }

  /**
   * A call made while clients stall: it must be answered within 10 s, where it takes tens of
   * milliseconds otherwise (before, it waited for a pooled connection until Payara's 30 s write
   * timeout dropped the stalled clients). Not a measure of speed: whether the server answers.
   */
  private HttpResponse<String> answered(String method, String path, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "") + path))
            .timeout(java.time.Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + ADMIN)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    try {
      return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.net.http.HttpTimeoutException e) {
      return fail(method + " " + path + " got no answer in 10 s while clients stall: " + e);
    }
  }

  /**
   * A job that failed 14 times shows its latest ten stack traces, oldest first, in the v1 views
   * (job and list) and the native job; v4 shows only the last error. The store keeps no more
   * (JobStoreTest requeues and fails one a thousand times).
   */
  @Test
  void aJobThatFailedOverAndOverShowsItsLatestTenTraces() {
    Http.Reply created =
        http.post(
            "/api/jobserver/v1/jobs", ADMIN, "{\"type\":\"test_failing\",\"max_attempts\":14}");
    assertEquals(201, created.status(), created.toString());
    String id = created.json().getString("id");
    JsonObject v4 = await(http, id, j -> j.getString("status").equals("error"), 60_000);
    assertEquals("failing on attempt 14", v4.getJsonObject("data").getString("error"));
    assertTrue(!v4.containsKey("stacktrace"), v4.toString());
    JsonObject nativeJob = http.get("/api/jobserver/v1/jobs/" + id, ADMIN).json();
    assertEquals(14, nativeJob.getInt("attempt"));
    List<String> traces =
        nativeJob.getJsonArray("stacktrace").getValuesAs(jakarta.json.JsonString.class).stream()
            .map(jakarta.json.JsonString::getString)
            .toList();
    assertEquals(10, traces.size(), traces.toString());
    for (int k = 0; k < 10; k++) {
      assertTrue(
          traces
              .get(k)
              .startsWith("java.lang.IllegalStateException: failing on attempt " + (5 + k)),
          k + ": " + traces.get(k));
    }
    JsonObject v1 = http.get("/api/v1/jobs/" + id, TAIPY_ALL).json().getJsonObject("job");
    assertEquals(nativeJob.getJsonArray("stacktrace"), v1.getJsonArray("stacktrace"));
    JsonObject listed =
        http.get("/api/v1/jobs", TAIPY_ALL).array().stream()
            .map(jakarta.json.JsonValue::asJsonObject)
            .filter(j -> j.getString("id").equals(id))
            .findFirst()
            .orElseThrow();
    assertEquals(nativeJob.getJsonArray("stacktrace"), listed.getJsonArray("stacktrace"));
  }

  // ---- exposure ----------------------------------------------------------------------------

  @Test
  void theServerListensOnItsHttpPortOnly() throws Exception {
    Assumptions.assumeTrue(
        Files.isReadable(Path.of("/proc/net/tcp")), "reads sockets from /proc (Linux)");
    int http = base.getPort();
    List<Set<Integer>> candidates = new ArrayList<>();
    ProcessHandle.current()
        .descendants()
        .filter(p -> p.info().commandLine().orElse("").contains("payara-micro"))
        .forEach(p -> candidates.add(ItSupport.listeningPorts(p.pid())));
    Set<Integer> ports =
        candidates.stream()
            .filter(s -> s.contains(http))
            .findFirst()
            .orElseGet(
                () -> fail("no Payara Micro process listens on " + http + ": " + candidates));
    // before: Hazelcast's *:6900 too, although started with --nocluster
    assertEquals(Set.of(http), ports);
  }
}
