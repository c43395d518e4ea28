package dev.jobserver.store;

import dev.jobserver.job.JobStatus;

/**
 * Told what the store changed, after each commit, on the instance that made the change: how metrics
 * learn of creates, starts and endings without the store knowing them. A CDI bean that implements
 * it is found by the store; it must return quickly and never throw.
 */
public interface StoreListener {

  /** A job of this type was created. */
  default void created(String type) {}

  /** A run of a job of this type started, {@code waitMillis} after the job was due. */
  default void started(String type, long waitMillis) {}

  /**
   * A job of this type finished in this status, after a run of {@code runMillis} (negative: it
   * finished without a run, e.g. canceled while it waited).
   */
  default void finished(String type, JobStatus status, long runMillis) {}
}
