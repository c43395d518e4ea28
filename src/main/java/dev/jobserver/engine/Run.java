package dev.jobserver.engine;

import dev.jobserver.store.ClaimedJob;
import dev.jobserver.store.ResultStore;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One run of a claimed job on this instance, and the {@link JobContext} its handler sees. */
final class Run implements JobContext {

  enum StopReason {
    CANCELED,
    SUPERSEDED,
    TIMEOUT,
    SHUTDOWN
  }

  final ClaimedJob job;
  final JobHandler handler;

  private final EngineClock clock;

  /**
   * When this instance claimed the job, on the monotonic clock: the intervals measured from it
   * (hand-back, timeout) must not jump with the wall clock.
   */
  final long claimedNanos;

  /** When a worker started it (the claim time until then), on the monotonic clock. */
  volatile long startedNanos;

  /** When a worker started it, epoch ms (0 until then). */
  volatile long startedMillis;

  final Map<String, String> dataUpdates = new ConcurrentHashMap<>();
  private final ResultStore results;

  volatile Thread thread;
  volatile StopReason stopReason;

  /** Set once the outcome of this run has been handed to the completer. */
  volatile boolean finalized;

  volatile int progress;
  volatile int flushedProgress;
  volatile long progressAt;
  volatile String warning;
  volatile String skipped;
  private OutputStream result;

  /** Writes this run's start at once, before its result may be opened. */
  interface StartWriter {
    /**
     * @throws IllegalStateException if the job is no longer this run's
     */
    void writeStart(Run run);
  }

  private final String owner;
  private final StartWriter startWriter;

  /** Whether the database says RUNNING for this run (its start was written). */
  volatile boolean startWritten;

  Run(
      ClaimedJob job,
      JobHandler handler,
      ResultStore results,
      EngineClock clock,
      String owner,
      StartWriter startWriter) {
    this.job = job;
    this.handler = handler;
    this.results = results;
    this.clock = clock;
    this.owner = owner;
    this.startWriter = startWriter;
    this.claimedNanos = clock.nanos();
    this.startedNanos = claimedNanos;
  }

  /** A worker starts the handler now. */
  void started() {
    startedNanos = clock.nanos();
    startedMillis = clock.millis();
    thread = Thread.currentThread();
  }

  @Override
  public String jobId() {
    return job.id();
  }

  @Override
  public Map<String, String> data() {
    return job.data();
  }

  @Override
  public int attempt() {
    return job.attempt();
  }

  @Override
  public void progress(int percent) {
    int p = Math.max(0, Math.min(100, percent));
    if (p != progress) {
      progress = p;
      progressAt = clock.millis();
    }
  }

  @Override
  public boolean cancelRequested() {
    return stopReason != null || Thread.currentThread().isInterrupted();
  }

  @Override
  public void putData(String key, String value) {
    if (key == null || key.isEmpty() || key.equals("error")) {
      throw new IllegalArgumentException("data key must be non-empty and not 'error'");
    }
    dataUpdates.put(key, value == null ? "" : value);
  }

  @Override
  public void warn(String message) {
    warning = message == null ? "warning" : message;
  }

  @Override
  public void skip(String reason) {
    skipped = reason == null || reason.isBlank() ? "nothing to do" : reason;
  }

  @Override
  public synchronized OutputStream openResult(String fileName, String contentType) {
    if (result != null) {
      throw new IllegalStateException("This run has opened its result already");
    }
    if (!startWritten) {
      startWriter.writeStart(this); // the result is fenced by the running attempt
    }
    result = results.open(job.id(), job.attempt(), owner, fileName, contentType);
    return result;
  }

  synchronized void closeResultQuietly() {
    if (result != null) {
      try {
        result.close();
      } catch (Exception ignored) {
        // the run's outcome says what went wrong
      }
    }
  }
}
