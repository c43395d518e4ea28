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

  /** Fails every attempt ("failing on attempt N"), retried at once: a long failure history. */
  @ApplicationScoped
  public static class Failing implements JobHandler {
    @Override
    public String type() {
      return "test_failing";
    }

    @Override
    public JobTypeSettings settings() {
      return new JobTypeSettings(Duration.ofMinutes(1), 1, Duration.ZERO, 0);
    }

    @Override
    public void run(JobContext context) {
      throw new IllegalStateException("failing on attempt " + context.attempt());
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
      spin(Long.parseLong(context.data().getOrDefault("ms", "2000")));
    }

    /** Waits that long whatever happens: every interrupt is swallowed. */
    static void spin(long ms) {
      long end = System.currentTimeMillis() + ms;
      while (System.currentTimeMillis() < end) {
        try {
          Thread.sleep(Math.max(1, Math.min(20, end - System.currentTimeMillis())));
        } catch (InterruptedException swallowed) {
          // a stubborn handler
        }
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
        Thread.sleep(Long.parseLong(context.data().getOrDefault("ms", "300")));
      } finally {
        context.putData("ended", Long.toString(System.nanoTime()));
        NOW.decrementAndGet();
      }
    }
  }

  /**
   * Ignores interruption for data.ms, counting the runs of its job alive at once here: a requeued
   * job must never run beside its old run.
   */
  @ApplicationScoped
  public static class Overlap implements JobHandler {
    static final Map<String, AtomicInteger> LIVE = new ConcurrentHashMap<>();

    @Override
    public String type() {
      return "test_overlap";
    }

    @Override
    public void run(JobContext context) {
      AtomicInteger live = LIVE.computeIfAbsent(context.jobId(), k -> new AtomicInteger());
      int n = live.incrementAndGet();
      try {
        context.putData("live_at_start", Integer.toString(n));
        Stubborn.spin(Long.parseLong(context.data().getOrDefault("ms", "1500")));
      } finally {
        live.decrementAndGet();
      }
    }
  }

  /**
   * Writes a result naming its attempt, then goes on (ignoring interruption) for data.ms; with
   * data.fail it then fails.
   */
  @ApplicationScoped
  public static class ResultWriter implements JobHandler {
    @Override
    public String type() {
      return "test_result";
    }

    @Override
    public void run(JobContext context) throws Exception {
      try (java.io.OutputStream out = context.openResult("out.txt", "text/plain")) {
        out.write(("attempt-" + context.attempt() + "\n").getBytes());
        Stubborn.spin(Long.parseLong(context.data().getOrDefault("ms", "0")));
        out.write(("end of attempt-" + context.attempt() + "\n").getBytes());
      }
      if (context.data().containsKey("fail")) {
        throw new IllegalStateException("failed after writing a result");
      }
    }
  }

  /** Arms {@link Poison}: the dispatcher's next look at its settings throws an Error. */
  @ApplicationScoped
  public static class ArmPoison implements JobHandler {
    @Override
    public String type() {
      return "test_arm_poison";
    }

    @Override
    public void run(JobContext context) {
      Poison.ARMED.set(true);
    }
  }

  /**
   * Its settings throw an Error on the dispatcher's thread once armed; its run reports how often.
   */
  @ApplicationScoped
  public static class Poison implements JobHandler {
    static final java.util.concurrent.atomic.AtomicBoolean ARMED =
        new java.util.concurrent.atomic.AtomicBoolean();
    static final AtomicInteger THROWN = new AtomicInteger();

    @Override
    public String type() {
      return "test_poison";
    }

    @Override
    public JobTypeSettings settings() {
      if (Thread.currentThread().getName().contains("dispatcher") && ARMED.getAndSet(false)) {
        THROWN.incrementAndGet();
        throw new AssertionError("poisoned: an Error thrown in the dispatcher's loop");
      }
      return JobTypeSettings.DEFAULTS;
    }

    @Override
    public void run(JobContext context) {
      context.putData("thrown", Integer.toString(THROWN.get()));
    }
  }

  /**
   * Reports where it runs: its thread's name, the application's name from JNDI, whether CDI finds
   * the engine's beans, and whether its thread's class loader sees the application's classes.
   */
  @ApplicationScoped
  public static class Context implements JobHandler {
    @Override
    public String type() {
      return "test_context";
    }

    @Override
    public void run(JobContext context) throws Exception {
      context.putData("thread", Thread.currentThread().getName());
      context.putData(
          "app", String.valueOf(new javax.naming.InitialContext().lookup("java:app/AppName")));
      context.putData(
          "cdi",
          Boolean.toString(
              jakarta
                  .enterprise
                  .inject
                  .spi
                  .CDI
                  .current()
                  .select(dev.jobserver.engine.JobTypeRegistry.class)
                  .isResolvable()));
      context.putData(
          "loader",
          Thread.currentThread()
              .getContextClassLoader()
              .loadClass(TestHandlers.class.getName())
              .getName());
    }
  }
}
