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
    return holdingFirst(then, 10_000);
  }

  private GroupCommit<Job> holdingFirst(GroupCommit.Writer<Job> then, long maxWaitMillis) {
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
        },
        maxWaitMillis);
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
    GroupCommit<Job> inserts =
        failingOn("bad", new SQLException("value too long", "22001"), stored);
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

  @Test
  void aJobRetriedAloneDoesNotHoldTheOthersOfItsFailedBatch() throws Exception {
    // the shared transaction fails for one bad row; each is tried again alone, and the retry of
    // "slow" hangs: "quick" must not wait for it (it did, under the one lock of all creates)
    CountDownLatch releaseSlow = new CountDownLatch(1);
    List<String> stored = Collections.synchronizedList(new ArrayList<>());
    GroupCommit<Job> inserts =
        holdingFirst(
            jobs -> {
              if (jobs.size() > 1 && jobs.stream().anyMatch(j -> j.getId().equals("bad"))) {
                throw new SQLException("duplicate key", "23505");
              }
              if (jobs.get(0).getId().equals("bad")) {
                throw new SQLException("duplicate key", "23505");
              }
              if (jobs.get(0).getId().equals("slow")) {
                try {
                  releaseSlow.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              jobs.forEach(j -> stored.add(j.getId()));
            });
    try {
      List<Future<Void>> others = queuedBehindFirst(inserts, "slow", "bad", "quick");
      others.get(2).get(5, TimeUnit.SECONDS); // quick: stored while slow still hangs
      assertTrue(stored.contains("quick") && !stored.contains("slow"), stored.toString());
      Exception e = assertThrows(Exception.class, () -> others.get(1).get(5, TimeUnit.SECONDS));
      assertEquals("23505", ((SQLException) e.getCause()).getSQLState());
      inserts.write(job("next")); // nor does the next create wait for it
      releaseSlow.countDown();
      others.get(0).get(10, TimeUnit.SECONDS);
      assertEquals(Set.of("first", "slow", "quick", "next"), new HashSet<>(stored));
    } finally {
      releaseSlow.countDown();
    }
  }

  @Test
  void anUnreachableDatabaseFailsTheWholeBatchAtOnceWithoutRetryingEachJob() throws Exception {
    List<String> stored = Collections.synchronizedList(new ArrayList<>());
    List<Integer> attempts = Collections.synchronizedList(new ArrayList<>());
    GroupCommit<Job> inserts =
        holdingFirst(
            jobs -> {
              attempts.add(jobs.size());
              if (!jobs.get(0).getId().equals("first")) {
                throw new SQLException("Connection refused", "08001");
              }
              jobs.forEach(j -> stored.add(j.getId()));
            });
    for (Future<Void> f : queuedBehindFirst(inserts, "a", "b", "c")) {
      Exception e = assertThrows(Exception.class, () -> f.get(10, TimeUnit.SECONDS));
      assertEquals("08001", ((SQLException) e.getCause()).getSQLState());
    }
    assertEquals(List.of(1, 3), attempts, "one try of the shared transaction, none alone");
    assertEquals(List.of("first"), stored);
  }

  @Test
  void aCreateThatCannotGetItsTurnInTimeFailsAsUnavailableAndIsNeverWritten() throws Exception {
    List<String> stored = Collections.synchronizedList(new ArrayList<>());
    GroupCommit<Job> inserts = holdingFirst(jobs -> jobs.forEach(j -> stored.add(j.getId())), 300);
    Future<Void> first = store(inserts, "first");
    assertTrue(firstStarted.await(10, TimeUnit.SECONDS));
    long start = System.nanoTime();
    SQLException e = assertThrows(SQLException.class, () -> inserts.write(job("late")));
    assertTrue(dev.jobserver.job.StoreException.isUnavailable(e), e.toString());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
    assertEquals(0, inserts.queued(), "taken back from the queue");
    releaseFirst.countDown();
    first.get(10, TimeUnit.SECONDS);
    inserts.write(job("after"));
    assertEquals(List.of("first", "after"), stored, "the late create was not written later");
  }

  @Test
  void createsQueuedBehindATransactionThatFindsTheDatabaseGoneFailWithItAtOnce() throws Exception {
    List<Integer> attempts = Collections.synchronizedList(new ArrayList<>());
    GroupCommit<Job> inserts =
        holdingFirst(
            jobs -> {
              attempts.add(jobs.size());
              throw new SQLException("An I/O error occurred while sending to the backend", "08006");
            });
    Future<Void> first = store(inserts, "first");
    assertTrue(firstStarted.await(10, TimeUnit.SECONDS));
    List<Future<Void>> others = new ArrayList<>();
    for (String id : List.of("q1", "q2", "q3")) {
      others.add(store(inserts, id));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (inserts.queued() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    releaseFirst.countDown();
    for (Future<Void> f : others) {
      Exception e = assertThrows(Exception.class, () -> f.get(10, TimeUnit.SECONDS));
      assertEquals("08006", ((SQLException) e.getCause()).getSQLState());
    }
    assertThrows(Exception.class, () -> first.get(10, TimeUnit.SECONDS));
    assertEquals(List.of(1), attempts, "one transaction tried; the queued ones not, one by one");
  }
}
