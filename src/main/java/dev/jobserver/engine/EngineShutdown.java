package dev.jobserver.engine;

import dev.jobserver.store.JobStore;
import dev.jobserver.store.RunOutcome;
import java.util.ArrayList;
import java.util.List;
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

  /** Set once the grace period begins: workers then write their own outcomes. */
  private volatile boolean closing;

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

  /** Whether outcomes are now written by the workers themselves (see {@link #recordNow}). */
  boolean closing() {
    return closing;
  }

  /**
   * Writes an outcome at once, on the calling worker: while shutting down the server ends the JVM
   * as soon as the last job thread returns, so nothing may wait for the recorder.
   */
  void recordNow(RunOutcome outcome) {
    try {
      store.get().finish(owner, List.of(outcome), actor);
    } catch (Throwable e) {
      log.write("engine " + owner + ": recording the outcome of " + outcome.jobId() + " failed", e);
    }
  }

  void run() {
    if (!started.compareAndSet(false, true)) {
      awaitDone();
      return;
    }
    try {
      useDirectStore.run();
      closing = true;
      stopParts.run();
      for (EngineLoop loop : loops) {
        loop.stop();
      }
      pool.stop(done, settings.shutdownGraceMillis() + 30_000);
      List<Run> unstarted = pool.takeAllWaiting();
      long deadline = clock.nanos() + settings.shutdownGraceMillis() * 1_000_000L;
      while (runs.inHand() > unstarted.size() && clock.nanos() - deadline < 0) {
        flushRecorder();
        sleep(20);
      }
      // Write first, stop the runs after: the server's own shutdown waits for the job threads and
      // ends the JVM as soon as the last one returns.
      List<Run> left = new ArrayList<>(runs.all());
      for (Run run : left) {
        runner.disown(run); // whatever it returns from now on is not recorded
      }
      flushRecorder();
      try {
        List<String> ids = new ArrayList<>();
        for (Run run : left) {
          ids.add(run.job.id());
        }
        // started runs go back to PENDING with an event; reservations are given up quietly
        int handed =
            store.get().handBack(owner, ids, actor, "handed back: the instance is shutting down");
        log.write(
            "engine "
                + owner
                + " stopped; "
                + handed
                + " unfinished jobs handed back ("
                + unstarted.size()
                + " never started)",
            null);
      } catch (Throwable e) {
        log.write("engine " + owner + ": handing jobs back failed; their leases will expire", e);
      }
      for (Run run : left) {
        run.stopReason = Run.StopReason.SHUTDOWN;
        Thread t = run.thread;
        if (t != null) {
          t.interrupt();
        }
      }
    } finally {
      done.countDown();
    }
  }

  void awaitDone() {
    try {
      done.await(settings.shutdownGraceMillis() + 30_000, TimeUnit.MILLISECONDS);
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
