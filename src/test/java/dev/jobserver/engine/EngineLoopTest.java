package dev.jobserver.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EngineLoopTest {

  @Test
  void aStepThatThrowsAnErrorIsCountedAndTheLoopGoesOn() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch later = new CountDownLatch(3);
    EngineLoop loop =
        new EngineLoop(
            "test",
            () -> {
              if (calls.incrementAndGet() == 1) {
                throw new OutOfMemoryError("simulated");
              }
              later.countDown();
              Thread.sleep(5);
            },
            Thread::new,
            ms -> {});
    loop.start();
    assertTrue(later.await(5, TimeUnit.SECONDS), "the loop came back");
    assertEquals(1, loop.errors());
    assertEquals(EngineLoop.State.RUNNING, loop.state());
    assertTrue(loop.lastError().contains("simulated"));
    loop.stop();
    loop.join(1000);
    assertEquals(EngineLoop.State.STOPPED, loop.state());
  }

  @Test
  void aThreadThatDiesIsReplaced() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch later = new CountDownLatch(2);
    EngineLoop loop =
        new EngineLoop(
            "test",
            () -> {
              if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("first");
              }
              later.countDown();
              Thread.sleep(5);
            },
            Thread::new,
            ms -> {
              throw new StackOverflowError("while backing off"); // escapes the loop's handler
            });
    loop.start();
    assertTrue(later.await(5, TimeUnit.SECONDS));
    assertEquals(1, loop.restarts());
    loop.stop();
  }

  @Test
  void aLoopWhoseThreadCannotStartIsDead() {
    EngineLoop loop =
        new EngineLoop(
            "test",
            () -> {},
            r -> {
              throw new IllegalStateException("no threads left");
            });
    loop.start();
    assertEquals(EngineLoop.State.DEAD, loop.state());
    assertTrue(loop.lastError().contains("no threads left"));
  }

  @Test
  void aLoopThatKeepsFailingLogsOneWarningNotOneAStepAndSaysWhenItWorksAgain() throws Exception {
    java.util.List<java.util.logging.LogRecord> records =
        java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    java.util.logging.Handler handler =
        new java.util.logging.Handler() {
          @Override
          public void publish(java.util.logging.LogRecord r) {
            records.add(r);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    java.util.logging.Logger logger =
        java.util.logging.Logger.getLogger(EngineLoop.class.getName());
    logger.addHandler(handler);
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch worked = new CountDownLatch(1);
    EngineLoop loop =
        new EngineLoop(
            "flaky",
            () -> {
              int n = calls.incrementAndGet();
              if (n <= 50) {
                throw new java.sql.SQLException("Connection refused", "08001");
              }
              if (n > 51) {
                worked.countDown(); // the 51st step returned normally
              }
              Thread.sleep(5);
            },
            Thread::new,
            ms -> {});
    try {
      loop.start();
      assertTrue(worked.await(5, TimeUnit.SECONDS));
      loop.stop();
      loop.join(1000);
    } finally {
      logger.removeHandler(handler);
    }
    assertEquals(50, loop.errors());
    java.util.List<java.util.logging.LogRecord> warnings =
        records.stream()
            .filter(r -> r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue())
            .toList();
    assertEquals(1, warnings.size(), "one warning for 50 failed steps in a row");
    assertTrue(warnings.get(0).getThrown() != null, "the first with its stack trace");
    assertTrue(
        records.stream()
            .anyMatch(
                r ->
                    r.getLevel() == java.util.logging.Level.INFO
                        && r.getMessage().contains("works again after 50 failed steps")),
        "says when it works again");
  }

  /**
   * Payara Server, deploying to running instances, refuses the managed threads' context until the
   * application is enabled: the thread dies before the loop runs. The loop is STARTING (not ready)
   * until a thread of it runs, and keeps starting threads until one does.
   */
  @Test
  void aThreadRefusedBeforeTheLoopRunsIsStartedAgainUntilOneRuns() throws Exception {
    AtomicInteger refused = new AtomicInteger();
    CountDownLatch ran = new CountDownLatch(1);
    CountDownLatch firstRefused = new CountDownLatch(1);
    CountDownLatch enable = new CountDownLatch(1);
    EngineLoop loop =
        new EngineLoop(
            "test",
            () -> {
              ran.countDown();
              Thread.sleep(5);
            },
            task ->
                new Thread(
                    () -> {
                      if (enable.getCount() > 0) {
                        refused.incrementAndGet();
                        firstRefused.countDown();
                        throw new IllegalStateException("Module jobserver is disabled");
                      }
                      task.run();
                    }),
            ms -> {});
    Thread.UncaughtExceptionHandler quiet = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((t, e) -> {});
    try {
      loop.start();
      assertTrue(firstRefused.await(5, TimeUnit.SECONDS));
      Thread.sleep(2 * EngineLoop.RETRY_START_MILLIS + 200);
      assertEquals(EngineLoop.State.STARTING, loop.state(), "not running while refused");
      assertTrue(refused.get() >= 2, "tried again: " + refused.get());
      enable.countDown();
      assertTrue(ran.await(5, TimeUnit.SECONDS), "a thread ran the loop once enabled");
      assertEquals(EngineLoop.State.RUNNING, loop.state());
    } finally {
      loop.stop();
      loop.join(1000);
      Thread.setDefaultUncaughtExceptionHandler(quiet);
    }
  }
}
