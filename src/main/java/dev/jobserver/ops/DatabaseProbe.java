package dev.jobserver.ops;

import dev.jobserver.database.JobserverDataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;

/**
 * Whether the database answers {@code SELECT 1} through the application's pool, the way requests
 * reach it, within {@link #TIMEOUT_MILLIS}. The query runs on a thread of its own and the probe
 * waits for it at most that long, so a database that hangs (a network partition, a full pool) makes
 * the probe answer DOWN in time rather than hang with it. While {@link #MAX_WAITING} earlier checks
 * still wait, no new one is started; a check that waits longer than {@link #FORGET_MILLIS} (a
 * connection stuck on a dead socket) no longer counts, so that the probe can see the database
 * return.
 *
 * <p>The threads are plain daemon threads, not the container's: a probe is called on Payara's own
 * health thread, whose context a managed thread factory would try (and fail) to propagate.
 */
@ApplicationScoped
public class DatabaseProbe {

  static final long TIMEOUT_MILLIS = 2000;
  static final int MAX_WAITING = 3;
  static final long FORGET_MILLIS = 60_000;

  /**
   * What a check found: up, how long it took, and if down why (nothing secret: no URL, no host).
   */
  public record Result(boolean up, long millis, String detail) {}

  private record Pending(long startNanos, CompletableFuture<Void> answered) {}

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  private ThreadFactory threads =
      r -> {
        Thread t = new Thread(r, "jobserver-database-probe");
        t.setDaemon(true);
        return t;
      };
  private long timeoutMillis = TIMEOUT_MILLIS;
  private final Queue<Pending> pending = new ConcurrentLinkedQueue<>();

  public DatabaseProbe() {}

  /** A probe of this data source on these threads (tests). */
  DatabaseProbe(DataSource dataSource, ThreadFactory threads, long timeoutMillis) {
    this.dataSource = dataSource;
    this.threads = threads;
    this.timeoutMillis = timeoutMillis;
  }

  /** Nothing but being called: made at startup in the application's context (see OpsStartup). */
  void prepare() {}

  public Result check() {
    long start = System.nanoTime();
    pending.removeIf(
        p -> p.answered().isDone() || start - p.startNanos() > FORGET_MILLIS * 1_000_000L);
    if (pending.size() >= MAX_WAITING) {
      return new Result(false, timeoutMillis, "earlier checks are still waiting for the database");
    }
    CompletableFuture<Void> answered = new CompletableFuture<>();
    Runnable query =
        () -> {
          try (Connection c = dataSource.getConnection();
              Statement s = c.createStatement()) {
            s.setQueryTimeout((int) Math.max(1, (timeoutMillis + 999) / 1000));
            s.execute("SELECT 1");
            answered.complete(null);
          } catch (Throwable e) {
            answered.completeExceptionally(e);
          }
        };
    try {
      threads.newThread(query).start();
    } catch (RuntimeException e) {
      return new Result(false, 0, "cannot start a check: " + e.getClass().getSimpleName());
    }
    pending.add(new Pending(start, answered));
    try {
      answered.get(timeoutMillis, TimeUnit.MILLISECONDS);
      return new Result(true, elapsed(start), "answered");
    } catch (TimeoutException e) {
      return new Result(false, elapsed(start), "no answer within " + timeoutMillis + " ms");
    } catch (ExecutionException e) {
      return new Result(false, elapsed(start), "failed: " + describe(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(false, elapsed(start), "interrupted");
    }
  }

  private static long elapsed(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  /** The failure's kind and SQLState, never its message (which may name hosts or users). */
  static String describe(Throwable e) {
    String kind = e.getClass().getSimpleName();
    if (e instanceof SQLException sql && sql.getSQLState() != null) {
      return kind + " (SQLState " + sql.getSQLState() + ")";
    }
    return kind;
  }
}
