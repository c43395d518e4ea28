package dev.jobserver.launcher;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The server's log file, rotated by size: {@code server.log} grows to {@code maxBytes}, then
 * becomes {@code server.log.1} (the older ones move up) and a new one starts; at most {@code files}
 * files are kept, so a loop of requests that each log a line cannot fill the disk.
 */
final class RotatingLog implements Closeable {
  static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
  static final int DEFAULT_FILES = 5;

  private final Path file;
  private final long maxBytes;
  private final int files;
  private OutputStream out;
  private long size;

  RotatingLog(Path file, long maxBytes, int files) throws IOException {
    if (maxBytes < 1 || files < 1) {
      throw new IllegalArgumentException("maxBytes and files must be positive");
    }
    this.file = file;
    this.maxBytes = maxBytes;
    this.files = files;
    open();
  }

  /** Appends one line (a line longer than the limit is kept whole, in a file of its own). */
  synchronized void line(String line) throws IOException {
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    if (size > 0 && size + bytes.length > maxBytes) {
      rotate();
    }
    out.write(bytes);
    out.flush();
    size += bytes.length;
  }

  private void rotate() throws IOException {
    out.close();
    Path oldest = numbered(files - 1);
    Files.deleteIfExists(oldest);
    for (int i = files - 2; i >= 0; i--) {
      Path from = numbered(i);
      if (Files.exists(from)) {
        Files.move(from, numbered(i + 1), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    open();
  }

  /** {@code server.log} for 0, else {@code server.log.<n>}; with one file, 1 is deleted at once. */
  private Path numbered(int n) {
    return n == 0 ? file : file.resolveSibling(file.getFileName() + "." + n);
  }

  private void open() throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    out =
        Files.newOutputStream(
            file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    size = Files.size(file);
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
