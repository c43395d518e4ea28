package dev.jobserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingLogTest {

  @Test
  void aFloodOfLinesKeepsAtMostTheFilesAllowed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("logs/server.log");
    try (RotatingLog log = new RotatingLog(file, 1000, 3)) {
      for (int i = 0; i < 10_000; i++) {
        log.line(String.format("line %05d of a loop of bad requests", i)); // 36 bytes + \n
      }
    }
    List<String> names;
    try (Stream<Path> s = Files.list(file.getParent())) {
      names = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertEquals(List.of("server.log", "server.log.1", "server.log.2"), names);
    long total = 0;
    for (String n : names) {
      long size = Files.size(file.resolveSibling(n));
      assertTrue(size <= 1000, n + " is " + size + " bytes");
      total += size;
    }
    assertTrue(total <= 3000);
    List<String> newest = Files.readAllLines(file);
    assertEquals("line 09999 of a loop of bad requests", newest.get(newest.size() - 1));
    List<String> older = Files.readAllLines(file.resolveSibling("server.log.1"));
    assertEquals(
        String.format("line %05d of a loop of bad requests", 9999 - newest.size()),
        older.get(older.size() - 1),
        "no line is lost between files");
  }

  @Test
  void aRestartAppendsAndCountsWhatIsThere(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("server.log");
    Files.writeString(file, "x".repeat(950) + "\n");
    try (RotatingLog log = new RotatingLog(file, 1000, 2)) {
      log.line("y".repeat(99)); // would make 1051 bytes: rotates first
    }
    assertEquals("y".repeat(99) + "\n", Files.readString(file));
    assertEquals("x".repeat(950) + "\n", Files.readString(dir.resolve("server.log.1")));
    assertFalse(Files.exists(dir.resolve("server.log.2")));
  }
}
