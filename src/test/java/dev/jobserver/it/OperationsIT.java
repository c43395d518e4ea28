package dev.jobserver.it;

import static dev.jobserver.it.ItSupport.ADMIN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.shrinkwrap.api.exporter.ZipExporter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Health and metrics of a server whose database the test can take away: the test WAR on a Payara
 * Micro of its own (not Arquillian's, whose server reaches the database directly), connected to the
 * database through a {@link DbProxy} in this JVM.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperationsIT {

  private static final String API = "/api/jobserver/v1";
  private static DbProxy proxy;
  private static Process server;
  private static int port;
  private static Path log;
  private static Http root;
  private static Http app;

  @BeforeAll
  static void start() throws Exception {
    String url = System.getenv("JOBSERVER_DB_URL");
    Matcher m = Pattern.compile("//([^/:;]+)(?::(\\d+))?/").matcher(url);
    assertTrue(m.find(), url);
    int dbPort =
        m.group(2) != null
            ? Integer.parseInt(m.group(2))
            : url.startsWith("jdbc:h2:") ? 9092 : 5432;
    proxy = new DbProxy(m.group(1), dbPort);
    String proxied = m.replaceFirst("//127.0.0.1:" + proxy.port() + "/");

    File war = new File("target/operations-it.war");
    Deployments.war().as(ZipExporter.class).exportTo(war, true);
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    log = Path.of("target/failsafe-reports/OperationsIT-server.log");
    Files.createDirectories(log.getParent());
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx768m",
            "-jar",
            System.getProperty("payara.microJar", "target/payara-micro.jar"),
            // the flag an operator might reach for; the pre-boot file must keep Hazelcast off
            // anyway
            "--nocluster",
            "--disablephonehome",
            "--prebootcommandfile",
            "src/main/payara/pre-boot-commands.txt",
            "--port",
            Integer.toString(port),
            "--deploy",
            war.getAbsolutePath(),
            "--contextroot",
            "/jobserver");
    pb.environment().put("JOBSERVER_DB_URL", proxied);
    pb.environment().put("JOBSERVER_INSTANCE_ID", "ops-it");
    pb.environment().put("JOBSERVER_WORKERS", "4");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    server = pb.start();
    root = new Http("http://localhost:" + port);
    app = new Http("http://localhost:" + port + "/jobserver");
    long deadline = System.currentTimeMillis() + 180_000;
    while (true) {
      if (!server.isAlive()) {
        fail("the server ended at boot; see " + log);
      }
      try {
        if (root.get("/health/started", null).status() == 200) {
          break;
        }
      } catch (IllegalStateException notListening) {
        // not yet
      }
      if (System.currentTimeMillis() > deadline) {
        fail("the server did not start in 180 s; see " + log);
      }
      ItSupport.sleep(250);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (proxy != null) {
      proxy.open();
    }
    if (server != null) {
      server.destroy();
      if (!server.waitFor(60, TimeUnit.SECONDS)) {
        server.destroyForcibly().waitFor();
      }
    }
    if (proxy != null) {
      proxy.close();
    }
  }

  // ---- health --------------------------------------------------------------------------------

  private static JsonObject health(String path, int status) {
    Http.Reply r = root.get(path, null);
    assertEquals(status, r.status(), path + ": " + r);
    return r.json();
  }

  private static JsonObject check(JsonObject health, String name) {
    return health.getJsonArray("checks").stream()
        .map(c -> c.asJsonObject())
        .filter(c -> c.getString("name").equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in " + health));
  }

  @Test
  @Order(1)
  void healthNeedsNoTokenAndSaysNothingSecret() {
    JsonObject ready = health("/health/ready", 200);
    assertEquals("UP", ready.getString("status"));
    JsonObject data = check(ready, "jobserver-ready").getJsonObject("data");
    assertEquals("up", data.getString("database"));
    assertEquals("done", data.getString("migrations"));
    assertEquals("running", data.getString("loop_dispatcher"));
    assertEquals("UP", health("/health/live", 200).getString("status"));
    assertEquals("UP", health("/health/started", 200).getString("status"));
    String all = root.get("/health", null).body();
    assertTrue(all.contains("jobserver-ready") && all.contains("jobserver-live"), all);
    for (String secret : List.of("jdbc", "postgres", "password", "127.0.0.1", "localhost")) {
      assertFalse(all.toLowerCase().contains(secret), secret + " in " + all);
    }
  }

  /**
   * Started with {@code --nocluster} (which cancels {@code --nohazelcast}), the server still
   * listens on its HTTP port only: the pre-boot file switches the data grid off (before: Hazelcast
   * on {@code *:6900}).
   */
  @Test
  @Order(0)
  void startedWithNoclusterItListensOnItsHttpPortOnly() {
    Assumptions.assumeTrue(
        Files.isReadable(Path.of("/proc/net/tcp")), "reads sockets from /proc (Linux)");
    assertEquals(Set.of(port), ItSupport.listeningPorts(server.pid()));
  }

  /**
   * A loop of requests with malformed bearer tokens leaves a few one-line records in the server's
   * log, no stack traces (before: some 55 lines each). Read in the log of a real server, since the
   * records come from Payara's own token store.
   */
  @Test
  @Order(3)
  void aLoopOfMalformedTokensLeavesAFewLinesAndNoStackTraceInTheLog() throws Exception {
    // the last element of the split is the line being written (or empty): read again from it
    int before = Math.max(0, logLines().size() - 1);
    for (int i = 0; i < 200; i++) {
      Http.Reply r = app.get("/api/v4/jobs?per_page=1", "not-a-jwt." + i);
      assertEquals(401, r.status(), r.toString());
    }
    List<String> added = List.of();
    long refused = 0;
    for (long deadline = System.currentTimeMillis() + 10_000;
        refused == 0 && System.currentTimeMillis() < deadline; ) {
      ItSupport.sleep(250);
      List<String> all = logLines();
      added = all.subList(before, all.size());
      refused = added.stream().filter(l -> l.contains("Bearer token refused")).count();
    }
    ItSupport.sleep(500);
    List<String> all = logLines();
    added = all.subList(before, all.size());
    refused = added.stream().filter(l -> l.contains("Bearer token refused")).count();
    // 20 a minute: 40 if the loop straddles the end of a minute
    assertTrue(refused >= 1 && refused <= 40, refused + " lines for 200 refusals:\n" + added);
    List<String> frames = added.stream().filter(l -> l.matches("^\\s+at \\S+\\(.*")).toList();
    assertEquals(List.of(), frames, "stack frames in the log");
  }

  private static List<String> logLines() throws java.io.IOException {
    return List.of(
        Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1).split("\n", -1));
  }

  @Test
  @Order(4)
  void readinessGoesDownWhileTheDatabaseDoesNotAnswerAndUpWhenItDoes() {
    try {
      proxy.freeze();
      JsonObject down = awaitReadiness(503, 20_000);
      String database = check(down, "jobserver-ready").getJsonObject("data").getString("database");
      assertTrue(database.startsWith("down: "), database);
      // the engine waits for the database, it is not dead: no restart wanted
      assertEquals("UP", health("/health/live", 200).getString("status"));
      for (int i = 0; i < 5; i++) {
        long start = System.currentTimeMillis();
        Http.Reply r = root.get("/health/ready", null);
        long took = System.currentTimeMillis() - start;
        assertEquals(503, r.status(), r.toString());
        assertTrue(took < 4000, "a probe must not hang with the database: " + took + " ms");
      }
    } finally {
      proxy.open();
    }
    awaitReadiness(200, 30_000);
  }

  /**
   * With the database down (every connection cut, new ones refused), each request that needs it
   * answers 503 with Retry-After, in its API's error format, within 5 s; liveness stays UP; and
   * when the database returns the instance answers again within seconds, by itself: the pool hands
   * out no connection that was cut (it used to, for minutes: "This connection has been closed").
   */
  @Test
  @Order(5)
  void whileTheDatabaseIsDownRequestsAnswer503FastAndTheInstanceRecoversByItself() {
    String id = createAndFinish("{\"type\":\"noop\",\"data\":{}}");
    try {
      proxy.drop();
      JsonObject down = awaitReadiness(503, 20_000);
      String database = check(down, "jobserver-ready").getJsonObject("data").getString("database");
      assertTrue(database.startsWith("down: "), database);
      assertEquals("UP", health("/health/live", 200).getString("status"));
      String v4 = "\"id\":\"api.context.database_unavailable.app_error\"";
      for (int round = 0; round < 2; round++) {
        unavailable(() -> app.get("/api/v4/jobs/" + id, ADMIN), v4);
        unavailable(() -> app.get("/api/v4/jobs?per_page=5", ADMIN), v4);
        unavailable(() -> app.post("/api/v4/jobs", ADMIN, "{\"type\":\"noop\",\"data\":{}}"), v4);
        unavailable(() -> app.get("/api/v1/jobs", TAIPY), "{\"message\":\"");
        unavailable(() -> app.post("/api/v1/jobs?task_id=noop", TAIPY, ""), "{\"message\":\"");
        unavailable(() -> app.get(API + "/jobs/" + id, ADMIN), "\"request_id\":\"");
        unavailable(() -> app.get(API + "/jobs?limit=5", ADMIN), "\"request_id\":\"");
        unavailable(
            () -> app.post(API + "/jobs", ADMIN, "{\"type\":\"noop\"}"), "\"request_id\":\"");
      }
    } finally {
      proxy.open();
    }
    long back = System.currentTimeMillis();
    long deadline = back + 15_000;
    Http.Reply r;
    while ((r = app.get("/api/v4/jobs?per_page=5", ADMIN)).status() != 200) {
      if (System.currentTimeMillis() > deadline) {
        fail("the instance did not answer 200 within 15 s of the database's return: " + r);
      }
      ItSupport.sleep(200);
    }
    // and keeps answering: no broken connection is handed out again
    for (int i = 0; i < 20; i++) {
      Http.Reply job = app.get("/api/v4/jobs/" + id, ADMIN);
      assertEquals(200, job.status(), job.toString());
      Http.Reply list = app.get(API + "/jobs?limit=5", ADMIN);
      assertEquals(200, list.status(), list.toString());
    }
    createAndFinish("{\"type\":\"noop\",\"data\":{}}");
    awaitReadiness(200, 15_000);
  }

  private static final String TAIPY = TestTokens.token("tina", "TAIPY_ADMIN");

  /** A 503 with Retry-After whose body has this API's shape, answered within 5 s of sending. */
  private static void unavailable(java.util.function.Supplier<Http.Reply> request, String shape) {
    long start = System.nanoTime();
    Http.Reply r = request.get();
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis < 5000, "answered after " + millis + " ms: " + r);
    assertEquals(503, r.status(), r.toString());
    assertEquals("5", r.header("Retry-After"), r.toString());
    assertTrue(r.body().contains(shape), r.toString());
    assertFalse(r.body().contains("internal error"), r.toString());
  }

  /** Polls /health/ready until it answers this status; returns that answer. */
  private static JsonObject awaitReadiness(int status, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    Http.Reply last = null;
    while (System.currentTimeMillis() < deadline) {
      last = root.get("/health/ready", null);
      if (last.status() == status) {
        return last.json();
      }
      ItSupport.sleep(200);
    }
    return fail("readiness did not answer " + status + " in " + timeoutMs + " ms; last: " + last);
  }

  // ---- metrics -------------------------------------------------------------------------------

  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})? (\\S+)$");

  /** The samples of /metrics: name, labels and value of every line that is not a comment. */
  private static List<Object[]> scrape() {
    Http.Reply r = root.get("/metrics", null);
    assertEquals(200, r.status(), r.toString());
    assertTrue(r.header("Content-Type").startsWith("text/plain"), r.header("Content-Type"));
    List<Object[]> samples = new ArrayList<>();
    for (String line : r.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line.trim());
      assertTrue(m.matches(), "not a Prometheus sample: " + line);
      samples.add(
          new Object[] {
            m.group(1), m.group(3) == null ? "" : m.group(3), Double.parseDouble(m.group(4))
          });
    }
    return samples;
  }

  /** The value of the sample with this name whose labels include all of these; 0 if none. */
  private static double value(List<Object[]> samples, String name, String... labels) {
    for (Object[] s : samples) {
      if (!s[0].equals(name)) {
        continue;
      }
      boolean all = true;
      for (String label : labels) {
        all &= ((String) s[1]).contains(label);
      }
      if (all) {
        return (double) s[2];
      }
    }
    return 0;
  }

  @Test
  @Order(2)
  void metricsMoveWhenJobsRunAndShowNoJobData() {
    List<Object[]> before = scrape();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(createAndFinish("{\"type\":\"noop\",\"data\":{\"secret\":\"s3cr3t-value\"}}"));
    }
    ids.add(
        createAndFinish(
            "{\"type\":\"sleep\",\"data\":{\"duration_ms\":\"30\",\"fail\":\"boom\"}}"));
    ItSupport.sleep(JOB_COUNTS_MAX_AGE_MS); // the jobs-by-status gauges are read every 5 s at most
    List<Object[]> after = scrape();

    String noop = "type=\"noop\"";
    String sleep = "type=\"sleep\"";
    assertEquals(
        3,
        value(after, "jobserver_jobs_created_total", noop)
            - value(before, "jobserver_jobs_created_total", noop));
    assertEquals(
        3,
        value(after, "jobserver_jobs_finished_total", noop, "status=\"completed\"")
            - value(before, "jobserver_jobs_finished_total", noop, "status=\"completed\""));
    assertEquals(
        1,
        value(after, "jobserver_jobs_finished_total", sleep, "status=\"failed\"")
            - value(before, "jobserver_jobs_finished_total", sleep, "status=\"failed\""));
    // run and wait times: Prometheus histograms, whose buckets add up across instances
    assertEquals(
        3,
        value(after, "jobserver_job_run_seconds_count", noop)
            - value(before, "jobserver_job_run_seconds_count", noop));
    assertEquals(
        3,
        value(after, "jobserver_job_run_seconds_bucket", noop, "le=\"+Inf\"")
            - value(before, "jobserver_job_run_seconds_bucket", noop, "le=\"+Inf\""));
    assertTrue(
        value(after, "jobserver_job_run_seconds_bucket", sleep, "le=\"0.025\"")
            < value(after, "jobserver_job_run_seconds_bucket", sleep, "le=\"3600.0\""),
        "the 30 ms run is above the 25 ms bucket");
    assertTrue(value(after, "jobserver_job_run_seconds_sum", sleep) >= 0.03);
    assertEquals(
        3,
        value(after, "jobserver_job_wait_seconds_count", noop)
            - value(before, "jobserver_job_wait_seconds_count", noop));
    // jobs by type and status, from the store's counters
    double completedBefore = value(before, "jobserver_jobs", noop, "status=\"completed\"");
    double completedAfter = value(after, "jobserver_jobs", noop, "status=\"completed\"");
    assertTrue(completedAfter >= completedBefore + 3, completedBefore + " then " + completedAfter);
    assertEquals(4, value(after, "jobserver_workers_max"));
    double busy = value(after, "jobserver_workers_busy");
    assertTrue(busy >= 0 && busy <= 4);
    assertEquals(1, value(after, "jobserver_engine_loop_up", "loop=\"dispatcher\""));
    assertTrue(value(after, "jobserver_engine_loop_errors", "loop=\"heartbeat\"") >= 0);

    String text = root.get("/metrics", null).body();
    for (String id : ids) {
      assertFalse(text.contains(id), "a job id in the metrics");
    }
    assertFalse(text.contains("s3cr3t-value"), "job data in the metrics");
    for (Object[] s : after) {
      if (((String) s[1]).contains("mp_scope=\"application\"")) {
        assertTrue(((String) s[0]).startsWith("jobserver_"), "an application metric " + s[0]);
      }
    }
  }

  private static final long JOB_COUNTS_MAX_AGE_MS = 5100;

  private static String createAndFinish(String body) {
    Http.Reply r = app.post(API + "/jobs", ADMIN, body);
    assertEquals(201, r.status(), r.toString());
    String id = r.json().getString("id");
    long deadline = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < deadline) {
      JsonObject job = app.get(API + "/jobs/" + id, ADMIN).json();
      if (!job.isNull("finished_at")) {
        return id;
      }
      ItSupport.sleep(25);
    }
    return fail("job " + id + " did not finish");
  }
}
