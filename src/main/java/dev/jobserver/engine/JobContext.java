package dev.jobserver.engine;

import java.io.OutputStream;
import java.util.Map;

/** What a running handler may see and do; it never touches the database itself. */
public interface JobContext {

  String jobId();

  /** The job's data as the client sent it. */
  Map<String, String> data();

  /** The attempt this run is (1 for the first). */
  int attempt();

  /** Reports progress, 0-100; written to the job at most a few times a second. */
  void progress(int percent);

  /** True once the job was asked to stop (cancel, requeue, timeout, shutdown). */
  boolean cancelRequested();

  /** Adds or replaces a data key shown on the finished job (e.g. a count). */
  void putData(String key, String value);

  /** Ends the job as WARNING rather than COMPLETED when it returns; the message goes to data. */
  void warn(String message);

  /**
   * Ends the job as SKIPPED rather than COMPLETED when it returns: it found nothing to do. Jobs
   * that depend on it treat it as a success; the reason is the event's message and {@code
   * data.skipped}. A handler that also calls {@link #warn} ends WARNING.
   */
  void skip(String reason);

  /**
   * Opens the job's result file; the bytes are streamed to the database as they are written. At
   * most one result per run; closing the stream completes it.
   */
  OutputStream openResult(String fileName, String contentType);
}
