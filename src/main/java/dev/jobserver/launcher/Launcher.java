package dev.jobserver.launcher;

import dev.jobserver.database.DatabaseSettings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@code mvn -Prun} runs: makes the development key (unless an IdP key is configured), prints
 * a token, and runs Payara Micro with the WAR in the foreground, its output also written to {@code
 * <data dir>/logs/server.log}. Ctrl-C stops both cleanly.
 *
 * <p>Arguments: the Payara Micro jar and the WAR.
 */
public final class Launcher {

  static final List<String> ALL_ROLES =
      List.of(
          "manage_jobs",
          "read_jobs",
          "TAIPY_READER",
          "TAIPY_EDITOR",
          "TAIPY_EXECUTOR",
          "TAIPY_ADMIN");

  private Launcher() {}

  public static void main(String[] args) throws Exception {
    Path micro = Paths.get(args[0]);
    Path war = Paths.get(args[1]);
    Path dataDir = DatabaseSettings.dataDir();
    Path logs = dataDir.resolve("logs");
    Files.createDirectories(logs);
    String port = DatabaseSettings.setting("PORT", "8080");

    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    String javaOpts = System.getenv("JOBSERVER_JAVA_OPTS");
    if (javaOpts != null && !javaOpts.isBlank()) {
      cmd.addAll(List.of(javaOpts.trim().split("\\s+")));
    }
    cmd.add("-DJOBSERVER_DATA_DIR=" + dataDir);
    cmd.add("-Djobserver.data.dir=" + dataDir);

    String keyLocation = System.getenv("MP_JWT_VERIFY_PUBLICKEY_LOCATION");
    String devToken = null;
    if (keyLocation == null || keyLocation.isBlank()) {
      Path pub = DevKeys.ensure(dataDir);
      cmd.add("-Dmp.jwt.verify.publickey.location=" + pub.toUri());
      devToken =
          DevKeys.token(
              DevKeys.privateKey(dataDir), DevKeys.ISSUER, "developer", ALL_ROLES, 30L * 24 * 3600);
    } else {
      cmd.add("-Dmp.jwt.verify.publickey.location=" + asUrl(keyLocation.trim()));
    }

    cmd.addAll(
        List.of(
            "-jar",
            micro.toString(),
            "--nocluster",
            "--port",
            port,
            "--contextroot",
            "/",
            "--deploy",
            war.toString(),
            "--nohostaware"));

    System.out.println("Jobserver: data in " + dataDir + ", logs in " + logs.resolve("server.log"));
    Process server = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(server)));
    try (Writer log =
            Files.newBufferedWriter(
                logs.resolve("server.log"),
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        BufferedReader out =
            new BufferedReader(
                new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      boolean announced = false;
      while ((line = out.readLine()) != null) {
        System.out.println(line);
        log.write(line);
        log.write('\n');
        log.flush();
        if (!announced && line.contains("Payara Micro") && line.contains("ready")) {
          announced = true;
          announce(System.out, port, devToken);
        }
      }
    }
    System.exit(server.waitFor());
  }

  /** A bare path is a file, not a class-path resource: MP-JWT needs it as a file: URL. */
  static String asUrl(String location) {
    if (location.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") && !location.matches("^[a-zA-Z]:\\\\.*")) {
      return location;
    }
    return Paths.get(location).toAbsolutePath().toUri().toString();
  }

  private static void announce(PrintStream out, String port, String token) {
    out.println();
    out.println(
        "==> Jobserver is ready on http://localhost:"
            + port
            + "  (API docs: http://localhost:"
            + port
            + "/openapi)");
    if (token != null) {
      out.println(
          "==> Development token (every role, 30 days; signed with the key in the data directory):");
      out.println("export TOKEN=" + token);
      out.println(
          "==> Try: curl -H \"Authorization: Bearer $TOKEN\" localhost:" + port + "/api/v4/jobs");
      out.println(
          "==> More tokens: java -cp target/classes dev.jobserver.launcher.DevToken"
              + " <subject> <role,role,...> <hours>");
    } else {
      out.println(
          "==> Tokens are verified against MP_JWT_VERIFY_PUBLICKEY_LOCATION; no development key.");
    }
    out.println();
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
}
