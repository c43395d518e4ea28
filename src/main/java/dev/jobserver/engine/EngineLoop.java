package dev.jobserver.engine;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One of the engine's background loops (dispatcher, outcome recorder, heartbeat, recovery), kept
 * alive whatever its step throws: a failed step is logged, counted and retried after a back-off
 * that doubles up to {@link #MAX_BACKOFF_MILLIS}; a thread that dies anyway is replaced. A loop
 * whose thread cannot be replaced is {@link State#DEAD}: health checks read {@link #state()}.
 *
 * <p>A loop that keeps failing (the database is out of reach) does not flood the log: the first
 * failure of a run of them is logged with its stack trace, the following ones as one line at most
 * every {@link #REPEAT_LOG_NANOS} (the rest at FINE), and the first step that works again says how
 * many failed.
 */
public final class EngineLoop {

  /** What a loop is doing, for health checks and metrics. */
  public enum State {
    NEW,
    /**
     * Its thread was started but has not run yet. An application server may refuse a managed
     * thread's context while the application is still being enabled (Payara Server, deployed to
     * running instances: "Module ... is disabled"): such a thread dies before the loop runs, and
     * the loop starts another until one runs ({@link #RETRY_START_MILLIS}).
     */
    STARTING,
    RUNNING,
    /** Its last step failed; it retries after a back-off. */
    BACKING_OFF,
    /** Stopped on purpose. */
    STOPPED,
    /** Its thread died and could not be replaced. */
    DEAD
  }

  /** One turn of the loop; returns normally to be called again at once. */
  @FunctionalInterface
  public interface Step {
    void run() throws Exception;
  }

  static final long FIRST_BACKOFF_MILLIS = 100;
  static final long MAX_BACKOFF_MILLIS = 5_000;

  /** A thread that has not begun the loop after this long, and died, is replaced. */
  static final long RETRY_START_MILLIS = 500;

  /** A loop that keeps failing says so at most this often. */
  static final long REPEAT_LOG_NANOS = 60_000_000_000L;

  private static final Logger LOG = Logger.getLogger(EngineLoop.class.getName());

  private final String name;
  private final Step step;
  private final ThreadFactory threads;
  private final LongConsumer sleeper;
  private final AtomicLong errors = new AtomicLong();
  private volatile State state = State.NEW;
  private volatile boolean stopped;
  private volatile Thread thread;
  private volatile String lastError;
  private volatile int restarts;
  private volatile boolean begun;
  private volatile Thread starter;

  public EngineLoop(String name, Step step, ThreadFactory threads) {
    this(name, step, threads, EngineLoop::sleep);
  }

  EngineLoop(String name, Step step, ThreadFactory threads, LongConsumer sleeper) {
    this.name = name;
    this.step = step;
    this.threads = threads;
    this.sleeper = sleeper;
  }

  public String name() {
    return name;
  }

  public State state() {
    return state;
  }

  /** Steps that threw, since start. */
  public long errors() {
    return errors.get();
  }

  /** How often its thread had to be replaced. */
  public int restarts() {
    return restarts;
  }

  /** The last failure's class and message, or null. */
  public String lastError() {
    return lastError;
  }

  public synchronized void start() {
    Thread current = thread;
    // the dying thread itself restarts the loop: it is still alive then, but no longer counts
    if (stopped || (current != null && current.isAlive() && current != Thread.currentThread())) {
      return;
    }
    Thread t;
    try {
      t = threads.newThread(this::loop);
      t.setName("jobserver-" + name);
      if (!begun) {
        state = State.STARTING;
      }
      t.start();
    } catch (Throwable e) {
      state = State.DEAD;
      lastError = describe(e);
      LOG.log(Level.SEVERE, "The engine's " + name + " loop cannot start a thread", e);
      return;
    }
    thread = t;
    if (begun) {
      state = State.RUNNING;
    } else {
      watchStart();
    }
  }

  /**
   * Until the loop has run once, a plain daemon thread (the container may refuse managed ones for
   * now) checks every {@link #RETRY_START_MILLIS} whether its thread died before it began, and
   * starts another then.
   */
  private void watchStart() {
    if (starter != null) {
      return;
    }
    Thread w =
        new Thread(
            () -> {
              int tries = 0;
              while (!begun && !stopped) {
                sleep(RETRY_START_MILLIS);
                Thread t = thread;
                if (begun || stopped || (t != null && t.isAlive())) {
                  continue;
                }
                if (++tries == 1) {
                  LOG.info(
                      "The engine's "
                          + name
                          + " loop's thread ended before it ran (the application is not enabled"
                          + " yet?); starting another until one runs");
                }
                synchronized (this) {
                  if (!begun && !stopped && (thread == null || !thread.isAlive())) {
                    thread = null;
                    start();
                  }
                }
              }
              starter = null;
            },
            "jobserver-" + name + "-starter");
    w.setDaemon(true);
    starter = w;
    w.start();
  }

  /** Stops the loop after its current step; interrupts it to end a wait. */
  public void stop() {
    stopped = true;
    state = State.STOPPED;
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  public boolean isStopped() {
    return stopped;
  }

  /** Waits until the loop's thread has ended (at most the given time). */
  public void join(long millis) throws InterruptedException {
    Thread t = thread;
    if (t != null) {
      t.join(millis);
    }
  }

  private void loop() {
    long backoff = FIRST_BACKOFF_MILLIS;
    long failing = 0; // failed steps in a row
    long loggedAt = 0;
    begun = true;
    if (state == State.STARTING || state == State.NEW) {
      state = State.RUNNING;
    }
    try {
      while (!stopped) {
        try {
          step.run();
          if (state == State.BACKING_OFF) {
            state = State.RUNNING;
          }
          if (failing > 0) {
            LOG.info(
                "The engine's " + name + " loop works again after " + failing + " failed steps");
            failing = 0;
          }
          backoff = FIRST_BACKOFF_MILLIS;
        } catch (Throwable e) {
          if (stopped) {
            break;
          }
          if (e instanceof InterruptedException) {
            Thread.interrupted(); // a stray interrupt: the loop ends only through stop()
            continue;
          }
          errors.incrementAndGet();
          lastError = describe(e);
          state = State.BACKING_OFF;
          failing++;
          long now = System.nanoTime();
          if (failing == 1) {
            loggedAt = now;
            LOG.log(
                Level.WARNING,
                "The engine's " + name + " loop failed; retrying in " + backoff + " ms",
                e);
          } else if (now - loggedAt >= REPEAT_LOG_NANOS) {
            loggedAt = now;
            LOG.warning(
                "The engine's "
                    + name
                    + " loop still fails ("
                    + failing
                    + " steps in a row), retrying every "
                    + backoff
                    + " ms: "
                    + lastError);
          } else {
            LOG.log(Level.FINE, "The engine's " + name + " loop failed again", e);
          }
          sleeper.accept(backoff);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
      }
    } finally {
      if (!stopped) {
        // Something escaped the handler above (an error while logging, say): replace the thread.
        restarts++;
        start();
      }
    }
  }

  private static String describe(Throwable e) {
    return e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
