package dev.jobserver.launcher;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The server's log file, rotated by size: {@code server.log} grows to {@code maxBytes}, then
 * becomes {@code server.log.1} (the older ones move up) and a new one starts; at most {@code files}
 * files are kept, so a loop of requests that each log a line cannot fill the disk.
 *
 * <p>A disk that is full (or any failure to write) must not stop the reader of the server's output:
 * Payara would then block on its full pipe and every thread that logs would hang. {@link #append}
 * drops and counts the lines it cannot write, and writes the count when it can write again.
 */
final class RotatingLog implements Closeable {
  static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
  static final int DEFAULT_FILES = 5;

  private final Path file;
  private final long maxBytes;
  private final int files;
  private final Opener opener;
  private OutputStream out;
  private long size;
  private long dropped;
  private String droppedWhy;

  /** Opens the file for appending (tests give one that fails as a full disk does). */
  interface Opener {
    OutputStream open(Path file) throws IOException;
  }

  RotatingLog(Path file, long maxBytes, int files) {
    this(
        file,
        maxBytes,
        files,
        f ->
            Files.newOutputStream(
                f, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE));
  }

  RotatingLog(Path file, long maxBytes, int files, Opener opener) {
    if (maxBytes < 1 || files < 1) {
      throw new IllegalArgumentException("maxBytes and files must be positive");
    }
    this.file = file;
    this.maxBytes = maxBytes;
    this.files = files;
    this.opener = opener;
    try {
      open();
    } catch (IOException e) {
      // cannot even be opened (a full disk): the first append says so and tries again
      out = null;
    }
  }

  /**
   * Appends one line, or drops it when it cannot be written, and never throws. The lines dropped
   * are counted; the count goes into the file before the next line that can be written.
   *
   * @return the failure when this line is the first of a run of lines that could not be written
   *     (for the caller to say once), else null
   */
  synchronized IOException append(String line) {
    try {
      if (dropped > 0) {
        line(
            "("
                + dropped
                + " lines of the server's output could not be written to this log: "
                + droppedWhy
                + ")");
        dropped = 0;
      }
      line(line);
      return null;
    } catch (IOException e) {
      closeQuietly();
      droppedWhy = String.valueOf(e.getMessage());
      return dropped++ == 0 ? e : null;
    }
  }

  /** Appends one line (a line longer than the limit is kept whole, in a file of its own). */
  synchronized void line(String line) throws IOException {
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    if (out == null) {
      open(); // a failure closed it: try again
    }
    if (size > 0 && size + bytes.length > maxBytes) {
      rotate();
    }
    out.write(bytes);
    out.flush();
    size += bytes.length;
  }

  private void rotate() throws IOException {
    out.close();
    out = null;
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
    out = opener.open(file);
    size = Files.size(file);
    if (size > 0 && !endsWithNewline()) {
      // a line cut short (a full disk, a crash): the next one starts on a line of its own
      out.write('\n');
      size++;
    }
  }

  private boolean endsWithNewline() throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(file)) {
      ByteBuffer last = ByteBuffer.allocate(1);
      ch.position(ch.size() - 1).read(last);
      return last.get(0) == '\n';
    }
  }

  private void closeQuietly() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // it failed already
      }
      out = null;
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (out != null) {
      out.close();
    }
  }
}
