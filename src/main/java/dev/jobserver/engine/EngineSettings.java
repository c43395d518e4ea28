package dev.jobserver.engine;

import dev.jobserver.common.Settings;

/**
 * The engine's knobs, from the settings (JOBSERVER_*, read through MicroProfile Config as
 * jobserver.*, see {@link Settings}), with defaults for one machine.
 */
public record EngineSettings(
    int workers,
    long pollMinMillis,
    long pollMaxMillis,
    long leaseMillis,
    long tickMillis,
    long recoveryMillis,
    long shutdownGraceMillis) {

  /** Most jobs one instance runs at once; also the most threads it runs them on. */
  public static final int MAX_WORKERS = 256;

  public static EngineSettings fromEnvironment() {
    int defaultWorkers = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
    return new EngineSettings(
        number("JOBSERVER_WORKERS", defaultWorkers, 1, MAX_WORKERS),
        number("JOBSERVER_POLL_MIN_MS", 100, 10, 60_000),
        number("JOBSERVER_POLL_MAX_MS", 1000, 10, 60_000),
        number("JOBSERVER_LEASE_MS", 15_000, 1000, 3_600_000),
        number("JOBSERVER_TICK_MS", 200, 20, 10_000),
        number("JOBSERVER_RECOVERY_MS", 2000, 100, 600_000),
        number("JOBSERVER_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000));
  }

  static int number(String name, int fallback, int min, int max) {
    return (int) Settings.number(name, fallback, min, max);
  }
}
