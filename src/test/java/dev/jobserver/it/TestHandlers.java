package dev.jobserver.it;

import dev.jobserver.engine.JobContext;
import dev.jobserver.engine.JobHandler;
import dev.jobserver.engine.JobTypeSettings;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Job types that exist only in the test deployment, to drive the engine's corner cases. */
public final class TestHandlers {
  private TestHandlers() {}

  /** Fails until its attempt reaches data.succeed_on; 3 attempts, 300 ms backoff doubling. */
  @ApplicationScoped
  public static class Flaky implements JobHandler {
    @Override
    public String type() {
      return "test_flaky";
    }

    @Override
    public JobTypeSettings settings() {
      return new JobTypeSettings(Duration.ofMinutes(1), 3, Duration.ofMillis(300), 0);
    }

    @Override
    public void run(JobContext context) {
      int succeedOn = Integer.parseInt(context.data().getOrDefault("succeed_on", "99"));
      context.putData("attempt_" + context.attempt(), Long.toString(System.currentTimeMillis()));
      if (context.attempt() < succeedOn) {
        throw new IllegalStateException("flaky failure on attempt " + context.attempt());
      }
    }
  }

  /** Ignores interruption and cancellation: busy-waits data.ms, then returns success. */
  @ApplicationScoped
  public static class Stubborn implements JobHandler {
    @Override
    public String type() {
      return "test_stubborn";
    }

    @Override
    public void run(JobContext context) {
      long end =
          System.currentTimeMillis() + Long.parseLong(context.data().getOrDefault("ms", "2000"));
      while (System.currentTimeMillis() < end) {
        Thread.onSpinWait();
        Thread.interrupted(); // swallow every interrupt
      }
    }
  }

  /** Sleeps far past its 700 ms timeout. */
  @ApplicationScoped
  public static class Slow implements JobHandler {
    @Override
    public String type() {
      return "test_slow";
    }

    @Override
    public JobTypeSettings settings() {
      return new JobTypeSettings(Duration.ofMillis(700), 1, Duration.ofSeconds(1), 0);
    }

    @Override
    public void run(JobContext context) throws InterruptedException {
      Thread.sleep(60_000);
    }
  }

  /** At most one at a time; records how many ran at once. */
  @ApplicationScoped
  public static class Limited implements JobHandler {
    static final AtomicInteger NOW = new AtomicInteger();
    static final Map<String, Integer> PEAK = new ConcurrentHashMap<>();

    @Override
    public String type() {
      return "test_limited";
    }

    @Override
    public JobTypeSettings settings() {
      return new JobTypeSettings(Duration.ofMinutes(1), 1, Duration.ofSeconds(1), 1);
    }

    @Override
    public void run(JobContext context) throws InterruptedException {
      int n = NOW.incrementAndGet();
      try {
        context.putData("concurrent", Integer.toString(n));
        context.putData("started", Long.toString(System.nanoTime()));
        Thread.sleep(300);
      } finally {
        context.putData("ended", Long.toString(System.nanoTime()));
        NOW.decrementAndGet();
      }
    }
  }
}
