package dev.jobserver.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The workers: tasks on the executor (the engine's {@link JobThreads}, the container's managed
 * threads), at most {@code workers} at once, that take claimed runs from a queue and run them one
 * after the other. A worker stays on the executor while it is idle for less than {@link
 * #KEEP_ALIVE_NANOS}, so a stream of short jobs costs no executor hand-off per job. While the
 * instance stops, a worker returns only once the hand-back is written.
 */
final class WorkerPool {

  /** An idle worker leaves the executor after this long without a run. */
  static final long KEEP_ALIVE_NANOS = 10_000_000_000L;

  /** How often an idle worker checks whether the instance is stopping. */
  private static final long POLL_MILLIS = 250;

  private static final Logger LOG = Logger.getLogger(WorkerPool.class.getName());

  private final int workers;
  private final Executor executor;
  private final Consumer<Run> execute;
  private final EngineClock clock;

  /** Claimed runs waiting for a worker, in claim order. */
  private final ConcurrentLinkedDeque<Run> ready = new ConcurrentLinkedDeque<>();

  /** Worker tasks on the executor. */
  private final AtomicInteger active = new AtomicInteger();

  /** Workers waiting for a run (on {@link #workWait}). */
  private final AtomicInteger idle = new AtomicInteger();

  /** Workers handed to the executor that have not looked for a run yet. */
  private final AtomicInteger starting = new AtomicInteger();

  /** Workers running a handler now. */
  private final AtomicInteger busy = new AtomicInteger();

  private final Object workWait = new Object();
  private volatile boolean stopping;
  private volatile CountDownLatch stopped = new CountDownLatch(0);
  private volatile long stopWaitMillis;

  WorkerPool(int workers, Executor executor, Consumer<Run> execute, EngineClock clock) {
    this.workers = workers;
    this.executor = executor;
    this.execute = execute;
    this.clock = clock;
  }

  int size() {
    return workers;
  }

  /** Workers running a handler now. */
  int busy() {
    return busy.get();
  }

  /** Runs waiting for a worker. */
  int waiting() {
    return ready.size();
  }

  /** Queues claimed runs; idle workers take them, and new workers start for the rest. */
  void offer(List<Run> runs) {
    if (runs.isEmpty()) {
      return;
    }
    ready.addAll(runs);
    wakeWorkers(runs.size());
    startWorkers();
  }

  /** Takes back the runs that have waited longer than {@code nanos} for a worker. */
  List<Run> takeWaitingLongerThan(long nanos) {
    List<Run> stale = new ArrayList<>();
    long now = clock.nanos();
    for (Run run : ready) {
      if (now - run.claimedNanos > nanos && ready.remove(run)) {
        stale.add(run);
      }
    }
    return stale;
  }

  /** Takes back every run that has not started. */
  List<Run> takeAllWaiting() {
    List<Run> out = new ArrayList<>();
    for (Run run = ready.poll(); run != null; run = ready.poll()) {
      out.add(run);
    }
    return out;
  }

  /**
   * No more runs start; each worker returns after its run once {@code handedBack} is counted down
   * (or after {@code maxWaitMillis}).
   */
  void stop(CountDownLatch handedBack, long maxWaitMillis) {
    stopped = handedBack;
    stopWaitMillis = maxWaitMillis;
    stopping = true;
    synchronized (workWait) {
      workWait.notifyAll();
    }
  }

  /** Starts worker tasks for waiting runs no idle worker will take. */
  private void startWorkers() {
    while (!stopping && ready.size() > idle.get() + starting.get() && takeWorkerSlot()) {
      starting.incrementAndGet();
      try {
        executor.execute(this::work);
      } catch (RuntimeException e) {
        starting.decrementAndGet();
        active.decrementAndGet();
        LOG.log(Level.WARNING, "Starting a worker failed; the waiting jobs wait for the next", e);
        return;
      }
    }
  }

  private boolean takeWorkerSlot() {
    while (true) {
      int a = active.get();
      if (a >= workers) {
        return false;
      }
      if (active.compareAndSet(a, a + 1)) {
        return true;
      }
    }
  }

  private void work() {
    starting.decrementAndGet(); // from here it is counted as idle while it waits
    long idleSince = clock.nanos();
    while (true) {
      Run run = stopping ? null : nextRun();
      if (run != null) {
        busy.incrementAndGet();
        try {
          execute.accept(run);
        } finally {
          busy.decrementAndGet();
        }
        idleSince = clock.nanos();
        continue;
      }
      if (stopping) {
        active.decrementAndGet();
        awaitStopped();
        return;
      }
      if (clock.nanos() - idleSince < KEEP_ALIVE_NANOS) {
        continue;
      }
      active.decrementAndGet();
      // A run queued between the poll and the decrement may have found no worker: take it.
      if (ready.isEmpty() || !takeWorkerSlot()) {
        return;
      }
      idleSince = clock.nanos();
    }
  }

  /** The next waiting run; when there is none, waits up to {@link #POLL_MILLIS} for one. */
  private Run nextRun() {
    Run run = ready.poll();
    if (run != null) {
      return run;
    }
    synchronized (workWait) {
      idle.incrementAndGet();
      try {
        run = ready.poll(); // runs are queued before the notify, which needs this monitor
        if (run == null && !stopping) {
          workWait.wait(POLL_MILLIS);
          run = stopping ? null : ready.poll();
        }
      } catch (InterruptedException e) {
        Thread.interrupted(); // a worker stops only through stop()
      } finally {
        idle.decrementAndGet();
      }
    }
    return run;
  }

  /** Wakes as many idle workers as runs were queued (one notify per run, not per queue add). */
  private void wakeWorkers(int queued) {
    if (queued > 0 && idle.get() > 0) {
      synchronized (workWait) {
        for (int i = Math.min(queued, idle.get()); i > 0; i--) {
          workWait.notify();
        }
      }
    }
  }

  private void awaitStopped() {
    try {
      stopped.await(stopWaitMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
