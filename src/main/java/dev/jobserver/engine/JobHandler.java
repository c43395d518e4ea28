package dev.jobserver.engine;

import java.util.Map;

/**
 * The code behind one job type. Implement it as a CDI bean (e.g. {@code @ApplicationScoped}) in the
 * WAR and it is registered under {@link #type()}; it sees only its {@link JobContext}.
 *
 * <p>Returning normally completes the job (or ends it with a warning if {@link JobContext#warn} was
 * called); throwing fails it with the exception's message, and it is retried with its type's
 * backoff while attempts remain; throwing a {@link JobFailure} says whether to retry and when. A
 * handler should return soon after {@link JobContext#cancelRequested()} turns true or its thread is
 * interrupted.
 */
public interface JobHandler {

  /** The job type name, {@code [a-z0-9_]{1,32}}. */
  String type();

  /** A one-line description for the list of types. */
  default String description() {
    return type();
  }

  /** Timeout, retries and concurrency of this type. */
  default JobTypeSettings settings() {
    return JobTypeSettings.DEFAULTS;
  }

  /**
   * Checks a new job's data before it is stored: a create with data this type cannot run is a 400
   * naming the key. Nothing by default.
   *
   * @throws dev.jobserver.job.InvalidJobDataException naming the data key that is wrong
   */
  default void checkData(Map<String, String> data) {}

  void run(JobContext context) throws Exception;
}
