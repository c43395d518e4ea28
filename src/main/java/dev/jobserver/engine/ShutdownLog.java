package dev.jobserver.engine;

import dev.jobserver.database.DatabaseSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The engine's own log file, {@code <data dir>/logs/engine-shutdown.log}: when the server stops,
 * its log service is closed before the engine hands its jobs back, so what happens then is written
 * here.
 */
final class ShutdownLog {
  private final Path file;

  ShutdownLog() {
    file = DatabaseSettings.dataDir().resolve("logs").resolve("engine-shutdown.log");
  }

  void write(String message, Throwable error) {
    StringBuilder line = new StringBuilder().append(Instant.now()).append(' ').append(message);
    if (error != null) {
      StringWriter w = new StringWriter();
      error.printStackTrace(new PrintWriter(w));
      line.append('\n').append(w);
    }
    line.append('\n');
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(
          file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (Exception ignored) {
      // nowhere left to report to
    }
  }
}
