package dev.jobserver.engine;

import static dev.jobserver.engine.EngineFixture.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.store.ClaimedJob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

  private final SettableClock clock = new SettableClock();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    threads.shutdownNow();
  }

  private Run run(String id) {
    return new Run(new ClaimedJob(id, "t", Map.of(), 1), null, null, clock, OWNER, r -> {});
  }

  @Test
  void runsTheWaitingRunsOnAtMostItsWorkers() throws Exception {
    AtomicInteger now = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    CountDownLatch all = new CountDownLatch(10);
    WorkerPool pool =
        new WorkerPool(
            3,
            threads,
            run -> {
              peak.accumulateAndGet(now.incrementAndGet(), Math::max);
              try {
                Thread.sleep(20);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              now.decrementAndGet();
              all.countDown();
            },
            clock);
    List<Run> runs = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      runs.add(run("r" + i));
    }
    pool.offer(runs);
    assertTrue(all.await(10, TimeUnit.SECONDS));
    assertEquals(3, peak.get());
    assertEquals(0, pool.waiting());
  }

  @Test
  void runsThatWaitedLongerThanAllowedAreTakenBackByTheClock() {
    EngineFixture.Parked parked = new EngineFixture.Parked();
    WorkerPool pool = new WorkerPool(2, parked, r -> {}, clock);
    pool.offer(List.of(run("a"), run("b")));
    clock.advance(500);
    pool.offer(List.of(run("c")));
    assertEquals(List.of(), pool.takeWaitingLongerThan(1_000_000_000L));
    clock.advance(600);
    List<Run> stale = pool.takeWaitingLongerThan(1_000_000_000L);
    assertEquals(List.of("a", "b"), stale.stream().map(r -> r.job.id()).toList());
    assertEquals(1, pool.waiting());
    assertEquals(2, parked.tasks.size(), "at most as many workers as the pool has");
  }

  @Test
  void aStoppedPoolStartsNothingAndItsWorkersWaitForTheHandBack() throws Exception {
    CountDownLatch handedBack = new CountDownLatch(1);
    AtomicInteger ran = new AtomicInteger();
    WorkerPool pool = new WorkerPool(1, threads, r -> ran.incrementAndGet(), clock);
    pool.stop(handedBack, 10_000);
    pool.offer(List.of(run("late")));
    Thread.sleep(100);
    assertEquals(0, ran.get());
    assertEquals(List.of("late"), pool.takeAllWaiting().stream().map(r -> r.job.id()).toList());
    handedBack.countDown();
  }
}
