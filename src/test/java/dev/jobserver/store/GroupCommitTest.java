package dev.jobserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.job.Job;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GroupCommitTest {

  private final ExecutorService pool = Executors.newFixedThreadPool(8);
  private final CountDownLatch firstStarted = new CountDownLatch(1);
  private final CountDownLatch releaseFirst = new CountDownLatch(1);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private static Job job(String id) {
    return new Job(id, "noop", 0, 1L, Map.of());
  }

  /** A writer whose transaction for the job "first" holds until released, then does the rest. */
  private GroupCommit<Job> holdingFirst(GroupCommit.Writer<Job> then) {
    return new GroupCommit<>(
        jobs -> {
          if (jobs.get(0).getId().equals("first")) {
            firstStarted.countDown();
            try {
              releaseFirst.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          then.write(jobs);
        });
  }

  /**
   * Like {@link #holdingFirst}: a transaction holding {@code badId} throws {@code failure} (an
   * SQLException or an Error); the jobs of every other one are added to {@code stored}.
   */
  private GroupCommit<Job> failingOn(String badId, Throwable failure, List<String> stored) {
    return holdingFirst(
        jobs -> {
          if (jobs.stream().anyMatch(j -> j.getId().equals(badId))) {
            if (failure instanceof SQLException sql) {
              throw sql;
            }
            throw (Error) failure;
          }
          jobs.forEach(j -> stored.add(j.getId()));
        });
  }

  private Future<Void> store(GroupCommit<Job> inserts, String id) {
    return pool.submit(
        () -> {
          inserts.write(job(id));
          return null;
        });
  }

  /** Starts "first", queues the others behind its transaction, then lets it commit. */
  private List<Future<Void>> queuedBehindFirst(GroupCommit inserts, String... ids)
      throws Exception {
    Future<Void> first = store(inserts, "first");
    assertTrue(firstStarted.await(10, TimeUnit.SECONDS));
    List<Future<Void>> others = new ArrayList<>();
    for (String id : ids) {
      others.add(store(inserts, id));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (inserts.queued() < ids.length && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(ids.length, inserts.queued(), "all queued behind the running transaction");
    releaseFirst.countDown();
    first.get(10, TimeUnit.SECONDS);
    return others;
  }

  @Test
  void aLoneCreateIsWrittenAtOnceInItsOwnTransaction() throws Exception {
    List<List<String>> transactions = new ArrayList<>();
    GroupCommit<Job> inserts =
        new GroupCommit<>(jobs -> transactions.add(jobs.stream().map(Job::getId).toList()));
    inserts.write(job("a"));
    inserts.write(job("b"));
    assertEquals(List.of(List.of("a"), List.of("b")), transactions);
  }

  @Test
  void createsArrivingDuringACommitShareTheNextTransaction() throws Exception {
    List<List<String>> transactions = Collections.synchronizedList(new ArrayList<>());
    GroupCommit<Job> inserts =
        holdingFirst(jobs -> transactions.add(jobs.stream().map(Job::getId).toList()));
    for (Future<Void> f : queuedBehindFirst(inserts, "j0", "j1", "j2", "j3", "j4")) {
      f.get(10, TimeUnit.SECONDS);
    }
    assertEquals(2, transactions.size(), transactions.toString());
    assertEquals(List.of("first"), transactions.get(0));
    assertEquals(
        Set.of("j0", "j1", "j2", "j3", "j4"), new HashSet<>(transactions.get(1)), "one shared");
  }

  @Test
  void aFailedSharedTransactionIsRetriedPerJobSoOnlyTheBadOneFails() throws Exception {
    List<String> stored = Collections.synchronizedList(new ArrayList<>());
    GroupCommit<Job> inserts = failingOn("bad", new SQLException("value too long"), stored);
    List<Future<Void>> others = queuedBehindFirst(inserts, "good1", "bad", "good2");
    others.get(0).get(10, TimeUnit.SECONDS);
    others.get(2).get(10, TimeUnit.SECONDS);
    Exception e = assertThrows(Exception.class, () -> others.get(1).get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof SQLException, e.toString());
    assertEquals("value too long", e.getCause().getMessage());
    assertEquals(Set.of("first", "good1", "good2"), new HashSet<>(stored));
  }

  @Test
  void anErrorInASharedTransactionFailsItsRequestsAndLeavesNoneWaiting() throws Exception {
    List<String> stored = Collections.synchronizedList(new ArrayList<>());
    GroupCommit<Job> inserts = failingOn("x", new AssertionError("boom"), stored);
    for (Future<Void> f : queuedBehindFirst(inserts, "x", "y")) {
      Exception e = assertThrows(Exception.class, () -> f.get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof SQLException, e.toString());
      assertTrue(e.getCause().getCause() instanceof AssertionError, e.toString());
    }
    inserts.write(job("z")); // the next create is not stuck behind them
    assertEquals(List.of("first", "z"), stored);
  }
}
