package dev.jobserver.engine;

import dev.jobserver.job.JobStatus;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.ProgressUpdate;
import dev.jobserver.store.RunState;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The heartbeat of this instance's runs, every tick: writes their progress, stops the runs whose
 * jobs were canceled or requeued (read back in one query) or that ran past their type's timeout,
 * gives back runs that waited too long for a worker, and extends the leases of the jobs it holds,
 * named by id, every third of a lease: its runs (a stopped run until its thread has returned) and
 * the jobs whose start, outcome or release the recorder has still to write. A reservation no run
 * holds (a claim whose commit was lost, a release that failed) is not extended and expires. When to
 * extend is decided on the monotonic clock, so that a wall clock set back cannot pause the
 * extensions; the lease values are wall-clock times, shared with the other instances.
 *
 * <p>While the database cannot be reached, runs go on and their leases may expire. When it answers
 * again, the first thing the heartbeat does is renew this instance's leases (of its runs and of the
 * runs whose outcomes still wait to be written), and until it has, {@link #leasesCurrent()} is
 * false and this instance's lease recovery waits: it must not take for dead the jobs this instance
 * still runs.
 */
final class Heartbeat {

  /**
   * A claimed run still waiting after this long is handed back (workers are stuck on long jobs).
   */
  static final long MAX_WAIT_NANOS = 1_000_000_000L;

  private final EngineSettings settings;
  private final EngineClock clock;
  private final Supplier<JobStore> store;
  private final Runs runs;
  private final Runner runner;
  private final WorkerPool pool;
  private final String owner;
  private final String actor;
  private final LeaseBeat leaseBeat;
  private final Set<String> checks = ConcurrentHashMap.newKeySet();

  /** Reservations handed back here whose release the database has not taken yet (its thread). */
  private final Set<String> unreleased = new java.util.LinkedHashSet<>();

  private final Object tick = new Object();
  private final Supplier<? extends Collection<String>> heldByRecorder;
  private long nextLease;
  private volatile boolean stopping;

  /** False from a failed beat until this instance's leases have been renewed again. */
  private volatile boolean leasesCurrent = true;

  /** Told every third of a lease, with or without runs (the instance says it is alive). */
  @FunctionalInterface
  interface LeaseBeat {
    void beat(long nowMillis) throws SQLException;
  }

  Heartbeat(
      EngineSettings settings,
      EngineClock clock,
      Supplier<JobStore> store,
      Runs runs,
      Runner runner,
      WorkerPool pool,
      String owner,
      String actor) {
    this(settings, clock, store, runs, runner, pool, owner, actor, now -> {});
  }

  Heartbeat(
      EngineSettings settings,
      EngineClock clock,
      Supplier<JobStore> store,
      Runs runs,
      Runner runner,
      WorkerPool pool,
      String owner,
      String actor,
      LeaseBeat leaseBeat) {
    this(settings, clock, store, runs, runner, pool, owner, actor, leaseBeat, Set::of);
  }

  /**
   * @param heldByRecorder the jobs whose start, outcome or release waits to be written (still this
   *     instance's: their leases must be kept)
   */
  Heartbeat(
      EngineSettings settings,
      EngineClock clock,
      Supplier<JobStore> store,
      Runs runs,
      Runner runner,
      WorkerPool pool,
      String owner,
      String actor,
      LeaseBeat leaseBeat,
      Supplier<? extends Collection<String>> heldByRecorder) {
    this.heldByRecorder = heldByRecorder;
    this.leaseBeat = leaseBeat;
    this.settings = settings;
    this.clock = clock;
    this.store = store;
    this.runs = runs;
    this.runner = runner;
    this.pool = pool;
    this.owner = owner;
    this.actor = actor;
    this.nextLease = clock.nanos();
  }

  /** A job of this instance was asked to stop: look at once rather than at the next tick. */
  void check(String jobId) {
    if (runs.holds(jobId)) {
      checks.add(jobId);
      synchronized (tick) {
        tick.notifyAll();
      }
    }
  }

  void stop() {
    stopping = true;
    synchronized (tick) {
      tick.notifyAll();
    }
  }

  /** One beat, then a wait for the next tick (or a stop request). */
  void step() throws SQLException, InterruptedException {
    try {
      beat();
    } finally {
      synchronized (tick) {
        if (checks.isEmpty() && !stopping) {
          tick.wait(settings.tickMillis());
        }
      }
    }
  }

  /**
   * Whether this instance's leases are as the heartbeat keeps them: false after a beat failed (the
   * database may have been out of reach for longer than a lease) until they are renewed.
   */
  boolean leasesCurrent() {
    return leasesCurrent;
  }

  /**
   * Leases first if a beat failed since they were last renewed; then progress, stop requests and
   * timeouts, stale waiting runs, and leases when they are due.
   */
  void beat() throws SQLException {
    try {
      long nowNanos = clock.nanos();
      if (!leasesCurrent) {
        extendLeases(nowNanos);
      }
      flushProgress();
      checkRuns(nowNanos);
      handBackStale();
      if (nowNanos - nextLease >= 0) {
        extendLeases(nowNanos);
        leaseBeat.beat(clock.millis());
      }
    } catch (SQLException | RuntimeException e) {
      leasesCurrent = false;
      throw e;
    }
  }

  private void extendLeases(long nowNanos) throws SQLException {
    Set<String> held = new HashSet<>(heldByRecorder.get());
    for (Run run : runs.all()) {
      held.add(run.job.id());
    }
    if (!held.isEmpty()) {
      store.get().extendLeases(owner, held, clock.millis() + settings.leaseMillis());
    }
    nextLease = nowNanos + settings.leaseMillis() / 3 * 1_000_000L;
    leasesCurrent = true;
  }

  private void flushProgress() throws SQLException {
    List<ProgressUpdate> updates = new ArrayList<>();
    for (Run run : runs.all()) {
      int p = run.progress;
      if (p != run.flushedProgress && !run.finalized && run.startWritten) {
        updates.add(new ProgressUpdate(run.job.id(), run.job.attempt(), p, run.progressAt));
        run.flushedProgress = p;
      }
    }
    store.get().progress(owner, updates);
  }

  private void checkRuns(long nowNanos) throws SQLException {
    checks.clear();
    List<String> ids = new ArrayList<>();
    // whose start was written before the read: the read then shows it RUNNING; a start written
    // while the read runs may show either way
    Set<String> writtenBefore = new HashSet<>();
    for (Run run : runs.all()) {
      if (run.stopReason == null) {
        ids.add(run.job.id());
        if (run.startWritten) {
          writtenBefore.add(run.job.id());
        }
        if (run.handler != null
            && run.thread != null
            && nowNanos - run.startedNanos > run.handler.settings().timeout().toNanos()) {
          runner.stop(run, Run.StopReason.TIMEOUT);
        }
      }
    }
    if (ids.isEmpty()) {
      return;
    }
    Map<String, RunState> states = store.get().states(ids);
    for (String id : ids) {
      Run run = runs.get(id);
      if (run == null || run.stopReason != null) {
        continue;
      }
      RunState state = states.get(id);
      boolean mine = state != null && owner.equals(state.leaseOwner());
      if (mine
          && state.status() == JobStatus.CANCEL_REQUESTED
          && state.attempt() == run.job.attempt()) {
        runner.stop(run, Run.StopReason.CANCELED);
      } else if (!mine || !stillThisRun(state, run, writtenBefore.contains(id))) {
        runner.stop(run, Run.StopReason.SUPERSEDED);
      }
    }
  }

  /**
   * Whether the job is still this run's: reserved for it (PENDING, the attempt before it) until its
   * start is written, RUNNING this attempt after.
   *
   * @param startWrittenBefore the start was written before the state was read
   */
  private static boolean stillThisRun(RunState state, Run run, boolean startWrittenBefore) {
    return (state.status() == JobStatus.RUNNING && state.attempt() == run.job.attempt())
        || (state.status() == JobStatus.PENDING
            && !startWrittenBefore
            && state.attempt() == run.job.attempt() - 1);
  }

  /**
   * Runs claimed ahead wait for a worker only while the workers are busy with short jobs; if they
   * got stuck on long ones instead, their reservations are given up for any instance to take (no
   * event: they were pending all along).
   */
  private void handBackStale() throws SQLException {
    for (Run run : pool.takeWaitingLongerThan(MAX_WAIT_NANOS)) {
      runner.disown(run);
      runner.release(run);
      unreleased.add(run.job.id());
    }
    if (unreleased.isEmpty()) {
      return;
    }
    // kept until the database has taken them: a reservation given up locally but still this
    // instance's in the database would be kept alive by its lease extensions, and never run
    store.get().release(owner, unreleased);
    unreleased.clear();
  }
}
