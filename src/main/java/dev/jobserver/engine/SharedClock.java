package dev.jobserver.engine;

import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The wall clock every instance agrees on: this machine's clock corrected by its measured offset
 * from the database's clock. Leases, lease recovery, claims of due jobs and schedules compare times
 * written by different instances, so they must not depend on how well each instance's clock is set:
 * with this clock two instances whose own clocks differ by minutes still agree within a round trip
 * to the database. Between two syncs it runs on this machine's monotonic clock, which nobody sets.
 * The monotonic clock ({@link #nanos}) is this machine's, for intervals.
 */
final class SharedClock implements EngineClock {

  private static final Logger LOG = Logger.getLogger(SharedClock.class.getName());

  /** An offset that changes by more than this is logged (a clock was set, or drifts fast). */
  static final long LOGGED_CHANGE_MILLIS = 1000;

  private final EngineClock local;
  private final LongSupplier databaseMillis;

  /**
   * The database's time at the last sync and this machine's monotonic reading then: the time is
   * carried on from there by the monotonic clock, so that this machine's wall clock being set
   * (stepped back or forward between two syncs) moves no lease; null before the first sync.
   */
  private volatile long[] anchor;

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
    long[] a = anchor;
    return a == null ? local.millis() : a[0] + (local.nanos() - a[1]) / 1_000_000L;
  }

  @Override
  public long nanos() {
    return local.nanos();
  }

  /** The correction applied to this machine's clock now (ms). */
  long offset() {
    return millis() - local.millis();
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
      anchor = new long[] {db, before + roundTrip / 2};
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
