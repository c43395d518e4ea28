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
}
