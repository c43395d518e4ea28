package dev.jobserver.engine;

import dev.jobserver.store.JobStore;
import java.sql.SQLException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Takes over the jobs of instances that died: a running job whose lease expired goes back to the
 * queue (or fails, or ends canceled), as the state machine decides. Any instance does it; two
 * sweeping at once skip each other's rows. After the database was out of reach, this instance's own
 * leases may have expired while its runs went on: no sweep is made until its heartbeat has renewed
 * them ({@code leasesCurrent}), so it never takes its own live runs for dead.
 */
final class LeaseRecovery {

  /** Most jobs recovered in one sweep (one transaction). */
  static final int BATCH = 500;

  private final EngineSettings settings;
  private final EngineClock clock;
  private final Supplier<JobStore> store;
  private final Runnable recovered;
  private final String actor;
  private final BooleanSupplier leasesCurrent;
  private final Object sleep = new Object();
  private volatile boolean stopping;

  /**
   * @param recovered called when jobs went back to the queue (the dispatcher should look)
   */
  LeaseRecovery(
      EngineSettings settings,
      EngineClock clock,
      Supplier<JobStore> store,
      Runnable recovered,
      String actor) {
    this(settings, clock, store, recovered, actor, () -> true);
  }

  /**
   * @param leasesCurrent whether this instance's own leases are renewed (no sweep until they are)
   */
  LeaseRecovery(
      EngineSettings settings,
      EngineClock clock,
      Supplier<JobStore> store,
      Runnable recovered,
      String actor,
      BooleanSupplier leasesCurrent) {
    this.leasesCurrent = leasesCurrent;
    this.settings = settings;
    this.clock = clock;
    this.store = store;
    this.recovered = recovered;
    this.actor = actor;
  }

  /** One sweep: recovers expired leases; returns how many jobs it recovered. */
  int sweep() throws SQLException {
    if (!leasesCurrent.getAsBoolean()) {
      return 0;
    }
    int n = store.get().recoverExpired(clock.millis(), BATCH, actor);
    if (n > 0) {
      recovered.run();
    }
    return n;
  }

  /** A sweep, then a wait of the recovery interval (at once again if the sweep was full). */
  void step() throws SQLException, InterruptedException {
    if (sweep() >= BATCH || stopping) {
      return;
    }
    synchronized (sleep) {
      if (!stopping) {
        sleep.wait(settings.recoveryMillis());
      }
    }
  }

  void stop() {
    stopping = true;
    synchronized (sleep) {
      sleep.notifyAll();
    }
  }
}
