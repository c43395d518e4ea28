package dev.jobserver.engine;

import java.time.Duration;

/**
 * Per-type engine settings.
 *
 * @param timeout how long one run may take before it is stopped and fails (or retries)
 * @param maxAttempts how many times a job runs at most (1 = no retries)
 * @param backoff the wait before the first retry; doubled for each later one
 * @param maxConcurrent most runs of this type at once on one instance (0 = no limit)
 */
public record JobTypeSettings(
    Duration timeout, int maxAttempts, Duration backoff, int maxConcurrent) {

  public static final JobTypeSettings DEFAULTS =
      new JobTypeSettings(Duration.ofHours(1), 1, Duration.ofSeconds(1), 0);

  public JobTypeSettings {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1");
    }
  }

  /** The wait before the retry that follows a failed attempt (1-based). */
  public long backoffMillis(int failedAttempt) {
    long base = backoff.toMillis();
    int shift = Math.min(Math.max(failedAttempt - 1, 0), 20);
    return Math.min(base << shift, Duration.ofHours(1).toMillis());
  }
}
