package dev.jobserver.engine;

import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The wall clock every instance agrees on: this machine's clock corrected by its measured offset
 * from the database's clock. Leases, lease recovery, claims of due jobs and schedules compare times
 * written by different instances, so they must not depend on how well each instance's clock is set:
 * with this clock two instances whose own clocks differ by minutes still agree within a round trip
 * to the database. The monotonic clock ({@link #nanos}) is this machine's, for intervals.
 */
final class SharedClock implements EngineClock {

  private static final Logger LOG = Logger.getLogger(SharedClock.class.getName());

  /** An offset that changes by more than this is logged (a clock was set, or drifts fast). */
  static final long LOGGED_CHANGE_MILLIS = 1000;

  private final EngineClock local;
  private final LongSupplier databaseMillis;
  private volatile long offset;
  private volatile boolean synced;

  /**
   * @param local this machine's clocks
   * @param databaseMillis reads the database's wall clock (epoch ms); may throw when it cannot
   */
  SharedClock(EngineClock local, LongSupplier databaseMillis) {
    this.local = local;
    this.databaseMillis = databaseMillis;
  }

  @Override
  public long millis() {
    return local.millis() + offset;
  }

  @Override
  public long nanos() {
    return local.nanos();
  }

  /** The correction applied to this machine's clock now (ms). */
  long offset() {
    return offset;
  }

  /**
   * Measures the offset again: the database's time against this machine's at the middle of the
   * round trip. When the database cannot be read, the last offset stays.
   */
  void sync() {
    try {
      long before = local.nanos();
      long localAtStart = local.millis();
      long db = databaseMillis.getAsLong();
      long roundTrip = local.nanos() - before;
      long measured = db - (localAtStart + roundTrip / 2_000_000L);
      long old = offset;
      offset = measured;
      if (!synced || Math.abs(measured - old) > LOGGED_CHANGE_MILLIS) {
        LOG.info(
            "This instance's clock is "
                + Math.abs(measured)
                + " ms "
                + (measured > 0 ? "behind" : "ahead of")
                + " the database's; leases and due times use the database's time");
      }
      synced = true;
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "Reading the database's clock failed; the last offset stays", e);
    }
  }
}
