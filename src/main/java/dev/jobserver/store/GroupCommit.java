package dev.jobserver.store;

import dev.jobserver.job.StoreException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit (for creates): requests that arrive while another's insert is being written share
 * the next transaction (one multi-row insert and one commit for all of them) instead of one
 * transaction each. Nothing waits for company: a lone create is written at once; under load the
 * batch is whatever queued up during the previous commit.
 *
 * <p>If a shared transaction fails because the database cannot be reached, all its creates fail at
 * once, and so do those queued behind it (trying each alone would only wait for the same failure
 * again, once per create). If it fails for another reason (one bad row), each of its creates is
 * tried again on its own, by its own request and outside the lock that orders the shared
 * transactions: one bad or slow row fails or slows only its own request. A create that cannot even
 * get its turn within {@code maxWaitMillis} (the database hangs) is taken back from the queue and
 * fails as unavailable, never written later.
 */
final class GroupCommit<T> {

  /** At most this many jobs share one transaction. */
  static final int MAX_BATCH = 100;

  /**
   * Longest a create waits for its turn. A database that does not answer is noticed by the liveness
   * heartbeat within about 3.5 s, which aborts the transaction being written (it fails as
   * unavailable, and with it every create queued): the request must answer within 5 s. Under load a
   * turn comes within a few commits (each of up to {@link #MAX_BATCH} creates), but those wait for
   * the counters' rows that every ending also updates: in issue 25's storm on a busy 2-core machine
   * 1 s was too short for a few creates, which then answered 503 for a database that was up.
   */
  static final long MAX_WAIT_MILLIS = 2_000;

  /** Writes items in one transaction, all or none. */
  interface Writer<T> {
    void write(List<T> items) throws SQLException;
  }

  private static final class Pending<T> {
    final T item;
    final CountDownLatch finished = new CountDownLatch(1);
    // written before the latch opens, read after
    boolean written;
    boolean retryAlone;
    SQLException failure;

    Pending(T item) {
      this.item = item;
    }

    boolean done() {
      return finished.getCount() == 0;
    }
  }

  private final Writer<T> writer;
  private final long maxWaitNanos;
  private final ConcurrentLinkedQueue<Pending<T>> waiting = new ConcurrentLinkedQueue<>();
  private final ReentrantLock writing = new ReentrantLock();

  GroupCommit(Writer<T> writer) {
    this(writer, MAX_WAIT_MILLIS);
  }

  /**
   * @param maxWaitMillis longest a create waits for its turn before it fails as unavailable
   */
  GroupCommit(Writer<T> writer, long maxWaitMillis) {
    this.writer = writer;
    this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
  }

  /** Writes the item (with whatever others are waiting); returns once it is committed. */
  void write(T item) throws SQLException {
    Pending<T> mine = new Pending<>(item);
    waiting.add(mine);
    long deadline = System.nanoTime() + maxWaitNanos;
    boolean interrupted = false;
    try {
      while (!mine.done()) {
        boolean locked;
        try {
          locked = writing.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          interrupted = true;
          locked = false;
        }
        if (locked) {
          try {
            if (!mine.done()) {
              write(nextBatch());
            }
          } finally {
            writing.unlock();
          }
        } else if (waiting.remove(mine)) {
          throw new SQLTransientConnectionException(
              "The job was not stored: the database did not take it within "
                  + TimeUnit.NANOSECONDS.toMillis(maxWaitNanos)
                  + " ms",
              "08001");
        } else {
          // in the batch being written now: its outcome comes with that transaction's
          awaitFinished(mine);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    if (mine.retryAlone) {
      writer.write(List.of(mine.item));
    } else if (mine.failure != null) {
      throw mine.failure;
    }
  }

  /** How many creates wait for a transaction (for tests). */
  int queued() {
    return waiting.size();
  }

  private List<Pending<T>> nextBatch() {
    List<Pending<T>> batch = new ArrayList<>();
    Pending<T> p;
    while (batch.size() < MAX_BATCH && (p = waiting.poll()) != null) {
      batch.add(p);
    }
    return batch;
  }

  private static void awaitFinished(Pending<?> p) {
    boolean interrupted = false;
    while (true) {
      try {
        p.finished.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void write(List<Pending<T>> batch) {
    try {
      try {
        writer.write(batch.stream().map(p -> p.item).toList());
        batch.forEach(p -> p.written = true);
      } catch (SQLException | RuntimeException shared) {
        boolean unavailable = StoreException.isUnavailable(shared);
        if (unavailable) {
          // those that queued while it failed would only wait for the same failure, one by one
          Pending<T> p;
          while ((p = waiting.poll()) != null) {
            batch.add(p);
          }
        }
        for (Pending<T> p : batch) {
          if (batch.size() > 1 && !unavailable) {
            p.retryAlone = true; // by its own request, outside the lock
          } else {
            p.failure = asSql(shared);
          }
        }
      }
    } catch (Throwable t) {
      // An Error: whatever was not stored fails its own request. Nobody is left waiting (a job
      // taken from the queue but never marked done would make its request loop forever).
      for (Pending<T> p : batch) {
        if (!p.written && p.failure == null && !p.retryAlone) {
          p.failure = new SQLException("it was not stored: " + t, t);
        }
      }
    } finally {
      for (Pending<T> p : batch) {
        p.finished.countDown();
      }
    }
  }

  private static SQLException asSql(Exception e) {
    return e instanceof SQLException sql ? sql : new SQLException(e.getMessage(), e);
  }
}
