package dev.jobserver.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import jakarta.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

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

  /** TCP ports in LISTEN and bound UDP ports of a process, from /proc. */
  public static Set<Integer> listeningPorts(long pid) {
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String link = Files.readSymbolicLink(fd).toString();
          if (link.startsWith("socket:[")) {
            inodes.add(link.substring(8, link.length() - 1));
          }
        } catch (IOException gone) {
          // closed while we looked
        }
      }
    } catch (IOException e) {
      return Set.of();
    }
    Set<Integer> ports = new HashSet<>();
    for (String table : List.of("tcp", "tcp6", "udp", "udp6")) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of("/proc/net", table));
      } catch (IOException e) {
        continue;
      }
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        boolean listening = table.startsWith("udp") || f[3].equals("0A");
        if (listening && inodes.contains(f[9])) {
          String local = f[1];
          ports.add(Integer.parseInt(local.substring(local.indexOf(':') + 1), 16));
        }
      }
    }
    return ports;
  }
}
