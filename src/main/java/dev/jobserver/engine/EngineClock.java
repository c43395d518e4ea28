package dev.jobserver.engine;

/**
 * Where the engine reads time, so that each of its parts can be driven by a test's clock. Two
 * clocks: the wall clock for values shared with other instances through the database (leases, due
 * times), and the monotonic clock for intervals measured on this instance (timeouts, waits), which
 * must not jump when the wall clock is set.
 */
public interface EngineClock {

  /** Epoch milliseconds. */
  long millis();

  /** A monotonic reading in nanoseconds, only meaningful as a difference to another. */
  long nanos();

  EngineClock SYSTEM =
      new EngineClock() {
        @Override
        public long millis() {
          return System.currentTimeMillis();
        }

        @Override
        public long nanos() {
          return System.nanoTime();
        }
      };
}
