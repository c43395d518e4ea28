package dev.jobserver.launcher;

import dev.jobserver.database.DatabaseSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What {@code mvn -Prun} runs: makes the development key (unless an IdP key is configured), runs
 * Payara Micro with the WAR in the foreground, and prints a short banner once the application
 * answers. Payara's own output goes to {@code <data dir>/logs/server.log} (rotated by size); only
 * its SEVERE records reach the terminal, as one line each with their cause. A server that stops or
 * fails to deploy during boot ends this command with a non-zero exit code. Ctrl-C stops both
 * cleanly.
 *
 * <p>Arguments: the Payara Micro jar, the WAR, and optionally Payara's pre-boot command file.
 */
public final class Launcher {

  static final List<String> ALL_ROLES = List.of(dev.jobserver.security.Roles.ALL);

  /** Lines of output kept to show when the server stops during boot without a SEVERE record. */
  private static final int TAIL_LINES = 20;

  /** After the banner, at most this many SEVERE summaries a minute reach the terminal. */
  private static final int SEVERE_PER_MINUTE = 10;

  private Launcher() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: Launcher <payara-micro.jar> <jobserver.war> [pre-boot commands]");
      System.exit(2);
    }
    Path micro = Paths.get(args[0]);
    Path war = Paths.get(args[1]);
    Path preBoot = args.length > 2 ? Paths.get(args[2]) : null;
    Path dataDir = DatabaseSettings.dataDir();
    Path logFile = dataDir.resolve("logs").resolve("server.log");
    String port = DatabaseSettings.setting("PORT", "8080");
    String keyLocation = DatabaseSettings.setting("MP_JWT_VERIFY_PUBLICKEY_LOCATION", null);
    String dbUrl = DatabaseSettings.setting("JOBSERVER_DB_URL", null);
    boolean devKeyWanted =
        "true".equalsIgnoreCase(DatabaseSettings.setting("JOBSERVER_DEV_KEY", "false").trim());

    String refusal = refusal(keyLocation, dbUrl, devKeyWanted);
    if (refusal != null) {
      System.err.println(refusal);
      System.exit(2);
    }
    for (Path p : preBoot == null ? List.of(micro, war) : List.of(micro, war, preBoot)) {
      if (!Files.isRegularFile(p)) {
        System.err.println("Jobserver cannot start: " + p + " does not exist.");
        System.exit(2);
      }
    }

    String keyUrl;
    String devToken = null;
    if (keyLocation == null) {
      keyUrl = DevKeys.ensure(dataDir).toUri().toString();
      devToken =
          DevKeys.token(
              DevKeys.privateKey(dataDir), DevKeys.ISSUER, "developer", ALL_ROLES, 30L * 24 * 3600);
    } else {
      keyUrl = asUrl(keyLocation.trim());
    }
    List<String> cmd =
        command(
            Paths.get(System.getProperty("java.home"), "bin", "java"),
            System.getenv("JOBSERVER_JAVA_OPTS"),
            dataDir,
            keyUrl,
            micro,
            war,
            preBoot,
            port);

    PrintStream terminal = System.out;
    terminal.println(
        "Starting Jobserver on port " + port + " (Payara Micro's log: " + logFile + ") ...");
    long started = System.nanoTime();
    Process server = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (server.isAlive()) {
                    terminal.println("Stopping Jobserver ...");
                    stop(server);
                  }
                }));

    CountDownLatch readyOrGone = new CountDownLatch(1);
    Deque<String> tail = new ArrayDeque<>();
    AtomicInteger severeCount = new AtomicInteger();
    SevereLimit afterBoot = new SevereLimit(SEVERE_PER_MINUTE);
    boolean[] booted = {false};
    ServerOutput output =
        new ServerOutput(
            summary -> {
              severeCount.incrementAndGet();
              boolean show;
              synchronized (booted) {
                show = !booted[0] || afterBoot.allow(System.currentTimeMillis());
              }
              if (show) {
                System.err.println("[server] SEVERE " + summary);
              }
            });
    Thread reader =
        new Thread(
            () -> pump(server, logFile, output, tail, readyOrGone), "jobserver-output-reader");
    reader.setDaemon(true);
    reader.start();

    while (!readyOrGone.await(30, TimeUnit.SECONDS)) {
      terminal.println(
          "  still starting after "
              + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)
              + " s ...");
    }
    if (!output.ready()) {
      int code = server.waitFor();
      reader.join(2000);
      System.err.println(
          "Jobserver did not start: Payara Micro stopped during boot (exit code " + code + ").");
      if (severeCount.get() == 0) {
        System.err.println("Its last lines:");
        synchronized (tail) {
          tail.forEach(l -> System.err.println("  " + l));
        }
      }
      System.err.println("The whole log: " + logFile);
      System.exit(code == 0 ? 1 : code);
    }
    String problem = probe(port);
    if (problem != null) {
      System.err.println(
          "Jobserver did not start: Payara Micro is up, but the application "
              + problem
              + (severeCount.get() > 0 ? "; the errors above say why" : "")
              + ". The whole log: "
              + logFile);
      stop(server);
      System.exit(1);
    }
    synchronized (booted) {
      booted[0] = true;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    terminal.print(banner(port, dataDir, logFile, dbUrl, devToken, keyLocation != null, took));
    terminal.flush();
    System.exit(server.waitFor());
  }

  /**
   * Why the run command must not start, or null. An external database means a shared machine, where
   * a development key (whose token with every role is printed) is a hole, unless asked for.
   */
  static String refusal(String keyLocation, String dbUrl, boolean devKeyWanted) {
    if (keyLocation != null || dbUrl == null || devKeyWanted) {
      return null;
    }
    return "Jobserver will not start: JOBSERVER_DB_URL names an external database, but no"
        + " identity provider's key is set, and the development key would sign a token with every"
        + " role.\n  Set MP_JWT_VERIFY_PUBLICKEY_LOCATION (a PEM file or your IdP's JWKS URL) and"
        + " MP_JWT_VERIFY_ISSUER,\n  or set JOBSERVER_DEV_KEY=true to use the development key on"
        + " purpose.";
  }

  /** The Payara Micro command line: HTTP only (no data grid), the WAR at the root. */
  static List<String> command(
      Path java,
      String javaOpts,
      Path dataDir,
      String keyUrl,
      Path micro,
      Path war,
      Path preBoot,
      String port) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java.toString());
    if (javaOpts != null && !javaOpts.isBlank()) {
      cmd.addAll(List.of(javaOpts.trim().split("\\s+")));
    }
    cmd.add("-DJOBSERVER_DATA_DIR=" + dataDir);
    cmd.add("-Djobserver.data.dir=" + dataDir);
    cmd.add("-Dmp.jwt.verify.publickey.location=" + keyUrl);
    cmd.addAll(List.of("-jar", micro.toString()));
    // Instances share work through the database, not Payara's data grid: --nohazelcast keeps
    // Hazelcast from listening on *:6900 (--nocluster would not, and would cancel this option)
    cmd.addAll(List.of("--nohazelcast", "--disablephonehome"));
    if (preBoot != null) {
      cmd.addAll(List.of("--prebootcommandfile", preBoot.toString()));
    }
    cmd.addAll(List.of("--port", port, "--contextroot", "/", "--deploy", war.toString()));
    return cmd;
  }

  /** Copies the server's output to the log file and watches it; counts down at ready or end. */
  private static void pump(
      Process server,
      Path logFile,
      ServerOutput output,
      Deque<String> tail,
      CountDownLatch readyOrGone) {
    try (RotatingLog log =
            new RotatingLog(logFile, RotatingLog.DEFAULT_MAX_BYTES, RotatingLog.DEFAULT_FILES);
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
      String raw;
      while ((raw = in.readLine()) != null) {
        String line = ServerOutput.plain(raw);
        IOException unwritten = log.append(line); // never stops reading: Payara would block
        if (unwritten != null) {
          System.err.println(
              "Cannot write "
                  + logFile
                  + " ("
                  + unwritten.getMessage()
                  + "): the server goes on; its output is counted, not written, until it can be");
        }
        output.accept(line);
        synchronized (tail) {
          tail.addLast(line);
          if (tail.size() > TAIL_LINES) {
            tail.removeFirst();
          }
        }
        if (output.ready()) {
          readyOrGone.countDown();
        }
      }
    } catch (IOException e) {
      // the server's output closed under us (it was killed): nothing more to read
    } finally {
      output.finish();
      readyOrGone.countDown();
    }
  }

  /**
   * Null when the application answers on the port (every response of Jobserver carries {@code
   * X-Request-Id}; Payara without it answers 404 without), else what went wrong. Payara Micro says
   * "ready" also when the deployment failed.
   */
  static String probe(String port) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v4/jobs/types"))
            .timeout(Duration.ofSeconds(20))
            .build();
    try {
      HttpResponse<Void> r = client.send(request, HttpResponse.BodyHandlers.discarding());
      return r.headers().firstValue("X-Request-Id").isPresent()
          ? null
          : "is not deployed (GET /api/v4/jobs/types answered " + r.statusCode() + ")";
    } catch (IOException e) {
      return "does not answer on port " + port + " (" + e + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "was not reached (interrupted)";
    }
  }

  static String banner(
      String port,
      Path dataDir,
      Path logFile,
      String dbUrl,
      String devToken,
      boolean idpKey,
      Duration took) {
    String base = "http://localhost:" + port;
    StringBuilder b = new StringBuilder();
    b.append('\n')
        .append("Jobserver is ready on ")
        .append(base)
        .append(" (port ")
        .append(port)
        .append(", all interfaces; started in ")
        .append(took.toMillis() / 100 / 10.0)
        .append(" s)\n");
    b.append("  Console:       ")
        .append(base)
        .append('/')
        .append(devToken == null ? "" : "#token=" + devToken)
        .append('\n');
    b.append("  API explorer:  ").append(base).append("/api-docs/\n");
    b.append("  Data:          ").append(dataDir).append('\n');
    b.append("  Database:      ")
        .append(dbUrl == null ? "embedded H2 in the data directory" : withoutParameters(dbUrl))
        .append('\n');
    b.append("  Log:           ").append(logFile).append('\n');
    if (devToken != null) {
      if (dbUrl != null) {
        b.append("  Note: the development key is in use with an external database")
            .append(" (JOBSERVER_DEV_KEY=true).\n");
      }
      b.append("A token with every role (30 days, signed with the development key), for curl:\n");
      b.append("export TOKEN=").append(devToken).append('\n');
      b.append("  curl -H \"Authorization: Bearer $TOKEN\" localhost:")
          .append(port)
          .append("/api/v4/jobs\n");
      b.append("  more tokens: java -cp target/classes dev.jobserver.launcher.DevToken")
          .append(" <subject> <role,role,...> <hours>\n");
    } else if (idpKey) {
      b.append("Tokens come from your identity provider (MP_JWT_VERIFY_PUBLICKEY_LOCATION).\n");
    }
    b.append("Ctrl-C stops it.\n\n");
    return b.toString();
  }

  /** A JDBC URL without its parameters, which may carry a password. */
  private static String withoutParameters(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }

  /** A bare path is a file, not a class-path resource: MP-JWT needs it as a file: URL. */
  static String asUrl(String location) {
    if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") && !location.matches("^[a-zA-Z]:\\\\.*")) {
      return location;
    }
    return Paths.get(location).toAbsolutePath().toUri().toString();
  }

  private static void stop(Process server) {
    if (!server.isAlive()) {
      return;
    }
    server.destroy(); // SIGTERM: Payara Micro shuts down through its own hook
    try {
      if (!server.waitFor(60, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    } catch (InterruptedException e) {
      server.destroyForcibly();
    }
  }

  /** At most {@code perMinute} events in each minute; the rest are dropped. */
  static final class SevereLimit {
    private final int perMinute;
    private long windowStart = Long.MIN_VALUE;
    private int inWindow;

    SevereLimit(int perMinute) {
      this.perMinute = perMinute;
    }

    boolean allow(long nowMillis) {
      if (windowStart == Long.MIN_VALUE || nowMillis - windowStart >= 60_000) {
        windowStart = nowMillis;
        inWindow = 0;
      }
      return ++inWindow <= perMinute;
    }
  }
}
