package dev.jobserver.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The jobs' threads: all made by the container's factory, at most the pool's size, and none left
 * once the pool is closed (issue 21: an undeployed application's threads must not outlive it).
 */
class JobThreadsTest {

  /** Stands for the container's ManagedThreadFactory: counts and keeps what it made. */
  private static final class Container implements ThreadFactory {
    final List<Thread> made = new ArrayList<>();

    @Override
    public synchronized Thread newThread(Runnable r) {
      Thread t = new Thread(r, "container-thread");
      t.setDaemon(true);
      made.add(t);
      return t;
    }

    synchronized List<Thread> made() {
      return new ArrayList<>(made);
    }
  }

  @Test
  void tasksRunOnTheContainersThreadsAtMostSizeAtOnceAndNamedAsJobservers() throws Exception {
    Container container = new Container();
    JobThreads threads = new JobThreads(3, container);
    AtomicInteger now = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    Set<String> names = ConcurrentHashMap.newKeySet();
    Set<Thread> ranOn = ConcurrentHashMap.newKeySet();
    CountDownLatch all = new CountDownLatch(10);
    for (int i = 0; i < 10; i++) {
      threads.execute(
          () -> {
            peak.accumulateAndGet(now.incrementAndGet(), Math::max);
            names.add(Thread.currentThread().getName());
            ranOn.add(Thread.currentThread());
            sleep(30);
            now.decrementAndGet();
            all.countDown();
          });
    }
    assertTrue(all.await(10, TimeUnit.SECONDS));
    assertEquals(3, peak.get(), "at most the pool's size at once");
    assertEquals(3, container.made().size(), "each thread made once, by the container's factory");
    assertTrue(
        container.made().containsAll(ranOn), "every task ran on a thread the container made");
    assertEquals(Set.of("jobserver-worker-1", "jobserver-worker-2", "jobserver-worker-3"), names);
    assertEquals(List.of(), threads.close(5_000));
    for (Thread t : container.made()) {
      assertFalse(t.isAlive(), t + " outlived the pool");
    }
  }

  @Test
  void idleThreadsEndAfterTheKeepAlive() throws Exception {
    Container container = new Container();
    JobThreads threads = new JobThreads(2, container);
    CountDownLatch ran = new CountDownLatch(2);
    threads.execute(ran::countDown);
    threads.execute(ran::countDown);
    assertTrue(ran.await(5, TimeUnit.SECONDS));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JobThreads.KEEP_ALIVE_MILLIS);
    deadline += TimeUnit.SECONDS.toNanos(5);
    while (!threads.alive().isEmpty() && System.nanoTime() < deadline) {
      sleep(50);
    }
    assertEquals(List.of(), threads.alive(), "idle threads end without a close");
    for (Thread t : container.made()) {
      assertFalse(t.isAlive());
    }
    assertEquals(List.of(), threads.close(1_000));
  }

  @Test
  void closeInterruptsRunningTasksAndReportsAThreadThatIgnoresIt() throws Exception {
    Container container = new Container();
    JobThreads threads = new JobThreads(4, container);
    CountDownLatch started = new CountDownLatch(2);
    AtomicBoolean interrupted = new AtomicBoolean();
    AtomicBoolean release = new AtomicBoolean();
    threads.execute(
        () -> { // a handler that stops when interrupted
          started.countDown();
          try {
            Thread.sleep(60_000);
          } catch (InterruptedException e) {
            interrupted.set(true);
          }
        });
    threads.execute(
        () -> { // a handler that ignores interrupts until it is released
          started.countDown();
          while (!release.get()) {
            Thread.onSpinWait();
          }
        });
    assertTrue(started.await(5, TimeUnit.SECONDS));
    long t0 = System.nanoTime();
    List<Thread> left = threads.close(300);
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "close waits its time only");
    assertTrue(interrupted.get(), "the running task was interrupted");
    assertEquals(1, left.size(), "the stubborn thread is reported: " + left);
    assertTrue(left.get(0).getName().startsWith("jobserver-worker-"), left.toString());
    release.set(true);
    left.get(0).join(5_000);
    assertEquals(List.of(), threads.alive());
    for (Thread t : container.made()) {
      assertFalse(t.isAlive());
    }
    // closed: it takes nothing more
    boolean refused = false;
    try {
      threads.execute(() -> {});
    } catch (java.util.concurrent.RejectedExecutionException e) {
      refused = true;
    }
    assertTrue(refused, "a closed pool refuses new tasks");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
