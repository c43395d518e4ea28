package dev.jobserver.engine;

/** A clock the test sets: wall and monotonic time move only when told (db-scheduler's model). */
final class SettableClock implements EngineClock {
  private volatile long millis = 1_800_000_000_000L;
  private volatile long nanos = 5_000_000_000L;

  @Override
  public long millis() {
    return millis;
  }

  @Override
  public long nanos() {
    return nanos;
  }

  /** Moves both clocks forward. */
  void advance(long ms) {
    millis += ms;
    nanos += ms * 1_000_000L;
  }

  /** Moves both clocks forward by a few nanoseconds. */
  void advanceNanos(long n) {
    nanos += n;
  }

  /** Sets the wall clock alone (an operator or NTP setting it), the monotonic one stays. */
  void setWall(long ms) {
    millis = ms;
  }
}
