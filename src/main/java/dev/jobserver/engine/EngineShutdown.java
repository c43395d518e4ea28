package dev.jobserver.engine;

import dev.jobserver.store.JobStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Stops the engine: no more claims, running jobs get the grace period to finish (their outcomes
 * recorded), then the rest are handed back for any instance to take. Runs once, on the engine's JVM
 * shutdown hook or at undeploy, whichever comes first; the other waits for it.
 *
 * <p>Payara Micro destroys the application's connection pool and closes its class loader before
 * {@code @PreDestroy} on SIGTERM, and ends the JVM as soon as the last executor task returns: this
 * works on direct connections prepared at boot, writes before it stops the runs, and keeps the
 * workers from returning until the hand-back is written.
 */
final class EngineShutdown {

  private final EngineSettings settings;
  private final EngineClock clock;
  private final Runs runs;
  private final WorkerPool pool;
  private final Runner runner;
  private final OutcomeRecorder recorder;
  private final List<EngineLoop> loops;
  private final Runnable stopParts;
  private final Runnable useDirectStore;
  private final java.util.function.Supplier<JobStore> store;
  private final ShutdownLog log;
  private final String owner;
  private final String actor;

  private final AtomicBoolean started = new AtomicBoolean();
  private final CountDownLatch done = new CountDownLatch(1);

  EngineShutdown(
      EngineSettings settings,
      EngineClock clock,
      Runs runs,
      WorkerPool pool,
      Runner runner,
      OutcomeRecorder recorder,
      List<EngineLoop> loops,
      Runnable stopParts,
      Runnable useDirectStore,
      java.util.function.Supplier<JobStore> store,
      ShutdownLog log,
      String owner,
      String actor) {
    this.settings = settings;
    this.clock = clock;
    this.runs = runs;
    this.pool = pool;
    this.runner = runner;
    this.recorder = recorder;
    this.loops = loops;
    this.stopParts = stopParts;
    this.useDirectStore = useDirectStore;
    this.store = store;
    this.log = log;
    this.owner = owner;
    this.actor = actor;
  }

  /**
   * Outcomes keep going through the recorder, in the order they were queued (a run's start before
   * its end), written here every few milliseconds: the workers do not return to the server before
   * the hand-back is written ({@link WorkerPool#stop}), so the JVM waits for them. The leases of
   * the runs are kept through the grace, however long it is; a run still alive after it is handed
   * back with its lease kept until its thread returns (or the process ends and the lease expires),
   * so that no instance starts the job again while it runs here.
   */
  void run() {
    if (!started.compareAndSet(false, true)) {
      awaitDone();
      return;
    }
    try {
      useDirectStore.run();
      stopParts.run();
      for (EngineLoop loop : loops) {
        loop.stop();
      }
      pool.stop(done, settings.shutdownGraceMillis() + 2 * AFTER_GRACE_MILLIS);
      nextLease = clock.nanos();
      List<Run> unstarted = pool.takeAllWaiting();
      long deadline = clock.nanos() + settings.shutdownGraceMillis() * 1_000_000L;
      while (runs.inHand() > unstarted.size() && clock.nanos() - deadline < 0) {
        flushRecorder();
        keepLeases(Set.of());
        sleep(20);
      }
      List<Run> left = new ArrayList<>(runs.all());
      for (Run run : left) {
        runner.disown(run); // whatever it returns from now on is not recorded
        run.stopReason = Run.StopReason.SHUTDOWN;
        Thread t = run.thread;
        if (t != null) {
          t.interrupt();
        }
      }
      flushRecorder();
      Set<String> alive = alive(left);
      try {
        List<String> ids = new ArrayList<>();
        for (Run run : left) {
          ids.add(run.job.id());
        }
        // started runs go back to PENDING with an event; reservations are given up quietly
        int handed =
            store
                .get()
                .handBack(owner, ids, alive, actor, "handed back: the instance is shutting down");
        log.write(
            "engine "
                + owner
                + " stopped; "
                + handed
                + " unfinished jobs handed back ("
                + unstarted.size()
                + " never started, "
                + alive.size()
                + " still running after the interrupt)",
            null);
      } catch (Throwable e) {
        log.write("engine " + owner + ": handing jobs back failed; their leases will expire", e);
      }
      awaitReturns(left, alive);
    } finally {
      done.countDown();
    }
  }

  /**
   * Loads now what the shutdown uses and nothing else does before it: the server closes the WAR's
   * class loader before the shutdown runs, and a class loaded only then is not found.
   */
  void prepare() {
    alive(List.of()).addAll(recorder.held());
    Run.StopReason.values();
  }

  /** How long runs still alive after the grace are waited for, their leases kept. */
  static final long AFTER_GRACE_MILLIS = 30_000;

  /**
   * Keeps the leases of the runs still alive after the hand-back until their threads return, and
   * gives up each job as its thread returns (at most {@link #AFTER_GRACE_MILLIS}).
   */
  private void awaitReturns(List<Run> left, Set<String> alive) {
    long until = clock.nanos() + AFTER_GRACE_MILLIS * 1_000_000L;
    Set<String> waiting = new HashSet<>(alive);
    while (true) {
      Set<String> returned = new HashSet<>(waiting);
      returned.removeAll(alive(left));
      try {
        flushRecorder();
        store.get().release(owner, returned);
        waiting.removeAll(returned);
        if (waiting.isEmpty() || clock.nanos() - until >= 0) {
          return;
        }
        keepLeases(waiting);
      } catch (Throwable e) {
        log.write("engine " + owner + ": keeping the leases of stopped runs failed", e);
        return;
      }
      sleep(20);
    }
  }

  private static Set<String> alive(List<Run> runs) {
    Set<String> ids = new HashSet<>();
    for (Run run : runs) {
      if (run.thread != null) {
        ids.add(run.job.id());
      }
    }
    return ids;
  }

  private long nextLease;

  /**
   * Extends the leases of this instance's runs and of {@code more}, every third of a lease, as the
   * heartbeat did before it stopped: a grace longer than a lease must not let them expire.
   */
  private void keepLeases(Set<String> more) {
    long now = clock.nanos();
    if (now - nextLease < 0) {
      return;
    }
    nextLease = now + settings.leaseMillis() / 3 * 1_000_000L;
    Set<String> ids = new HashSet<>(more);
    ids.addAll(recorder.held());
    for (Run run : runs.all()) {
      ids.add(run.job.id());
    }
    try {
      store.get().extendLeases(owner, ids, clock.millis() + settings.leaseMillis());
    } catch (Throwable e) {
      log.write("engine " + owner + ": extending leases failed", e);
    }
  }

  void awaitDone() {
    try {
      done.await(settings.shutdownGraceMillis() + 2 * AFTER_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void flushRecorder() {
    try {
      recorder.flush();
    } catch (Throwable e) {
      log.write("engine " + owner + ": recording outcomes failed; their leases will expire", e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
