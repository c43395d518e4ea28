package dev.jobserver.store;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit (for creates): requests that arrive while another's insert is being written share
 * the next transaction (one multi-row insert and one commit for all of them) instead of one
 * transaction each. Nothing waits for company: a lone create is written at once; under load the
 * batch is whatever queued up during the previous commit. If a shared transaction fails, each of
 * its jobs is tried again on its own, so one bad row fails only its own request.
 */
final class GroupCommit<T> {

  /** At most this many jobs share one transaction. */
  static final int MAX_BATCH = 100;

  /** Writes items in one transaction, all or none. */
  interface Writer<T> {
    void write(List<T> items) throws SQLException;
  }

  private static final class Pending<T> {
    final T item;
    // all three are written and read under the lock
    boolean done;
    boolean written;
    SQLException failure;

    Pending(T item) {
      this.item = item;
    }
  }

  private final Writer<T> writer;
  private final ConcurrentLinkedQueue<Pending<T>> waiting = new ConcurrentLinkedQueue<>();
  private final ReentrantLock writing = new ReentrantLock();

  GroupCommit(Writer<T> writer) {
    this.writer = writer;
  }

  /** Writes the item (with whatever others are waiting); returns once it is committed. */
  void write(T item) throws SQLException {
    Pending<T> mine = new Pending<>(item);
    waiting.add(mine);
    writing.lock();
    try {
      while (!mine.done) {
        List<Pending<T>> batch = new ArrayList<>();
        Pending<T> p;
        while (batch.size() < MAX_BATCH && (p = waiting.poll()) != null) {
          batch.add(p);
        }
        write(batch);
      }
    } finally {
      writing.unlock();
    }
    if (mine.failure != null) {
      throw mine.failure;
    }
  }

  /** How many creates wait for a transaction (for tests). */
  int queued() {
    return waiting.size();
  }

  private void write(List<Pending<T>> batch) {
    try {
      try {
        writer.write(batch.stream().map(p -> p.item).toList());
        batch.forEach(p -> p.written = true);
      } catch (SQLException | RuntimeException shared) {
        for (Pending<T> p : batch) {
          try {
            if (batch.size() > 1) {
              writer.write(List.of(p.item));
              p.written = true;
            } else {
              p.failure = asSql(shared);
            }
          } catch (SQLException | RuntimeException own) {
            p.failure = asSql(own);
          }
        }
      }
    } catch (Throwable t) {
      // An Error: whatever was not stored fails its own request. Nobody is left waiting (a job
      // taken from the queue but never marked done would make its request loop forever).
      for (Pending<T> p : batch) {
        if (!p.written && p.failure == null) {
          p.failure = new SQLException("it was not stored: " + t, t);
        }
      }
    } finally {
      for (Pending<T> p : batch) {
        p.done = true;
      }
    }
  }

  private static SQLException asSql(Exception e) {
    return e instanceof SQLException sql ? sql : new SQLException(e.getMessage(), e);
  }
}
