package dev.jobserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FilterOutputStream;
import java.io.IOException;
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

  /**
   * While the disk is full the lines are dropped and counted, nothing is thrown (the reader of the
   * server's output must go on, or Payara blocks on its pipe), and the first failure of a run is
   * handed back once; when the disk has room again the line cut short is ended, the count is
   * written, then the lines.
   */
  @Test
  void aFullDiskDropsAndCountsLinesAndWritingResumesWhenThereIsRoom(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("server.log");
    boolean[] full = {false};
    boolean[] cut = {false};
    RotatingLog.Opener opener =
        f ->
            new FilterOutputStream(
                Files.newOutputStream(
                    f,
                    java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND)) {
              @Override
              public void write(byte[] b, int off, int len) throws IOException {
                if (full[0]) {
                  // the first write that fails gets three bytes out: a line cut short
                  if (!cut[0]) {
                    cut[0] = true;
                    out.write(b, off, Math.min(3, len));
                  }
                  throw new IOException("No space left on device");
                }
                out.write(b, off, len);
              }

              @Override
              public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
              }
            };
    try (RotatingLog log = new RotatingLog(file, 1_000_000, 2, opener)) {
      assertNull(log.append("before"));
      full[0] = true;
      IOException first = log.append("lost 1");
      assertNotNull(first, "the first line that cannot be written is reported");
      assertEquals("No space left on device", first.getMessage());
      for (int i = 2; i <= 5; i++) {
        assertNull(log.append("lost " + i), "reported once a run");
      }
      full[0] = false;
      assertNull(log.append("after"));
    }
    assertEquals(
        List.of(
            "before",
            "los",
            "(5 lines of the server's output could not be written to this log: No space left on"
                + " device)",
            "after"),
        Files.readAllLines(file));
  }
}
