package dev.jobserver.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads the jobs run on: at most {@code size} of the container's managed threads (from the
 * application's {@code ManagedThreadFactory}, so a handler runs with the application's context:
 * JNDI, CDI, its class loader), made when work comes and ended after {@link #KEEP_ALIVE_MILLIS}
 * idle, and all ended by {@link #close} when the application stops.
 *
 * <p>The engine owns this pool instead of using a {@code @ManagedExecutorDefinition} executor:
 * Payara Server keeps such an executor's threads after the application is undeployed, a few more on
 * every {@code asadmin redeploy} (issue 21). The threads are named {@code jobserver-worker-N}.
 */
final class JobThreads implements Executor {

  /** An idle thread ends after this long (a worker task itself stays 10 s: WorkerPool). */
  static final long KEEP_ALIVE_MILLIS = 2_000;

  private final ThreadPoolExecutor pool;

  /** The threads made that had not ended when the last one was made (see {@link #alive}). */
  private final Set<Thread> alive = ConcurrentHashMap.newKeySet();

  JobThreads(int size, ThreadFactory container) {
    AtomicInteger made = new AtomicInteger();
    ThreadFactory named =
        r -> {
          Thread t = container.newThread(r);
          if (t == null) {
            return null; // the container refuses: the executor says so to the caller
          }
          t.setName("jobserver-worker-" + made.incrementAndGet());
          // a thread is forgotten once it has ended, not when its task returns: between the two
          // it is still alive, and close() must wait for it (it returned early: JobThreadsTest)
          alive.removeIf(x -> !x.isAlive());
          alive.add(t);
          return t;
        };
    // size core threads that time out: a new thread for each task until size run, then a queue
    // (the worker pool never hands over more than size tasks at once: the queue only bridges a
    // task's return and its thread's next take)
    pool =
        new ThreadPoolExecutor(
            size,
            size,
            KEEP_ALIVE_MILLIS,
            TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(),
            named);
    pool.allowCoreThreadTimeOut(true);
  }

  @Override
  public void execute(Runnable task) {
    pool.execute(task);
  }

  /** Threads of this pool that have not ended yet. */
  List<Thread> alive() {
    List<Thread> threads = new ArrayList<>();
    for (Thread t : alive) {
      if (t.isAlive()) {
        threads.add(t);
      }
    }
    return threads;
  }

  /**
   * Takes no more tasks, interrupts the threads that still run one, and waits for every thread to
   * end, at most {@code millis}. Returns the threads still alive then (a handler that ignores
   * interrupts), empty when all ended.
   */
  List<Thread> close(long millis) throws InterruptedException {
    pool.shutdownNow();
    long deadline = System.nanoTime() + millis * 1_000_000L;
    pool.awaitTermination(millis, TimeUnit.MILLISECONDS);
    // terminated means every worker left the pool; wait for the threads themselves to end too
    for (Thread t : alive()) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left > 0) {
        t.join(left);
      }
    }
    return alive();
  }
}
