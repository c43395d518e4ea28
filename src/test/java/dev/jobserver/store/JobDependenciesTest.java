package dev.jobserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.job.IllegalTransitionException;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobStatus;
import dev.jobserver.job.UnknownDependencyException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Dependencies as the store applies them (H2, or PostgreSQL with -Ppostgres): a new job's initial
 * status, unblocking and abandoning in the transaction of the ending, fan-in, cascades, cancel of a
 * blocked job, retry, and the counts kept alongside.
 */
class JobDependenciesTest {

  private final TestDatabase db = new TestDatabase();
  private final JobStore store = JobStore.over(db.ds);
  private final AtomicInteger unblockedSignals = new AtomicInteger();

  {
    store.whenUnblocked(unblockedSignals::incrementAndGet);
  }

  @AfterEach
  void drop() throws Exception {
    db.close();
  }

  private Job job(String id) throws Exception {
    Job job = new Job(id, "noop", 0, System.currentTimeMillis(), Map.of());
    job.setMaxAttempts(1);
    store.insertAll(List.of(job));
    return job;
  }

  private Job dependent(String id, String... dependsOn) throws Exception {
    Job job = new Job(id, "noop", 0, System.currentTimeMillis(), Map.of());
    job.setMaxAttempts(1);
    job.setCreatedBy("alice");
    store.insertWaiting(job, List.of(dependsOn));
    return job;
  }

  private String status(String id) {
    return db.one("SELECT status FROM job WHERE id = ?", id);
  }

  private List<String> events(String id) {
    return db.rows(
        "SELECT old_status, new_status, actor FROM job_event WHERE job_id = ? ORDER BY id", id);
  }

  private ClaimedJob reserve(String id) throws Exception {
    long now = System.currentTimeMillis();
    ClaimedJob mine = null;
    List<String> others = new ArrayList<>();
    for (ClaimedJob j : store.reserve("me", 1000, now, now + 60_000, Map.of(), List.of())) {
      if (j.id().equals(id)) {
        mine = j;
      } else {
        others.add(j.id());
      }
    }
    store.release("me", others);
    assertTrue(mine != null, id + " was not claimable");
    return mine;
  }

  /** Runs the job: start written, then the end (as a separate write). */
  private void end(String id, Cause cause) throws Exception {
    ClaimedJob j = reserve(id);
    store.record(
        "me",
        List.of(new RunStart(id, "noop", j.attempt(), System.currentTimeMillis())),
        List.of(),
        "engine:me");
    store.finish("me", List.of(outcome(id, j.attempt(), cause)), "engine:me");
  }

  /** Runs the job with its start and its plain end written in one statement. */
  private void endAtOnce(String id, Cause cause) throws Exception {
    ClaimedJob j = reserve(id);
    store.record(
        "me",
        List.of(new RunStart(id, "noop", j.attempt(), System.currentTimeMillis())),
        List.of(outcome(id, j.attempt(), cause)),
        "engine:me");
  }

  private static RunOutcome outcome(String id, int attempt, Cause cause) {
    return new RunOutcome(
        id, attempt, cause, 100, Map.of(), cause == Cause.FAIL ? "boom" : null, null, 0, null);
  }

  private void assertCountsKept() {
    Map<String, String>[] counts = db.counts();
    assertEquals(counts[0], counts[1], "job_count agrees with the table");
  }

  @Test
  void aJobWaitsBlockedUntilEveryDependencyEndsWellThenIsPending() throws Exception {
    job("a");
    job("b");
    Job c = dependent("c", "a", "b");
    assertEquals(JobStatus.BLOCKED, c.getStatus());
    assertEquals("BLOCKED", status("c"));
    end("a", Cause.SUCCEED);
    assertEquals("BLOCKED", status("c"), "b has not ended");
    assertEquals("1", db.one("SELECT deps_waiting FROM job WHERE id = 'c'"));
    // skipped counts as ended well; a start and end reported together are written apart for a
    // job that others depend on, so that its ending looks at them
    endAtOnce("b", Cause.SKIP);
    assertEquals("SKIPPED", status("b"));
    assertEquals(
        List.of("null|PENDING|anonymous", "PENDING|RUNNING|engine:me", "RUNNING|SKIPPED|engine:me"),
        events("b"));
    assertEquals("PENDING", status("c"));
    assertEquals(List.of("null|BLOCKED|alice", "BLOCKED|PENDING|dependency:b"), events("c"));
    assertEquals(1, unblockedSignals.get(), "the engine is told after the commit");
    reserve("c"); // and it can be claimed
    assertCountsKept();
  }

  @Test
  void aDependencyThatEndedAlreadyCountsAtCreationAndAnUnknownIdIsRefusedByName() throws Exception {
    job("a");
    end("a", Cause.WARN);
    assertEquals(JobStatus.PENDING, dependent("b", "a").getStatus());
    job("f");
    end("f", Cause.FAIL);
    Job abandoned = dependent("g", "a", "f");
    assertEquals(JobStatus.ABANDONED, abandoned.getStatus());
    assertTrue(abandoned.getData().get("error").contains("Job f"), abandoned.getData().toString());
    UnknownDependencyException e =
        assertThrows(UnknownDependencyException.class, () -> dependent("h", "a", "nope"));
    assertEquals("nope", e.jobId());
    assertEquals(null, status("h"), "nothing was written");
    assertCountsKept();
  }

  @Test
  void aFailureInAFanInAbandonsTheDependentAndCascadesToItsOwn() throws Exception {
    List<String> deps = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      job("d" + i);
      deps.add("d" + i);
    }
    dependent("join", deps.toArray(String[]::new));
    dependent("after", "join");
    dependent("last", "after");
    dependent("other", "d3", "d4");
    for (int i = 0; i < 3; i++) {
      end("d" + i, Cause.SUCCEED);
    }
    end("d3", Cause.FAIL);
    assertEquals("FAILED", status("d3"));
    assertEquals("ABANDONED", status("join"));
    assertEquals("ABANDONED", status("other"));
    assertEquals("ABANDONED", status("after"), "abandoned transitively");
    assertEquals("ABANDONED", status("last"));
    assertEquals(
        List.of("null|BLOCKED|alice", "BLOCKED|ABANDONED|dependency:join"), events("after"));
    assertTrue(
        db.one("SELECT data FROM job WHERE id = 'last'").contains("Job after"),
        "the error names the dependency");
    end("d5", Cause.SUCCEED); // later endings leave the abandoned dependent alone
    assertEquals("ABANDONED", status("join"));
    assertCountsKept();
  }

  @Test
  void cancelingABlockedJobAbandonsItsDependents() throws Exception {
    job("a");
    dependent("b", "a");
    dependent("c", "b");
    store.change("b", Cause.CANCEL, "alice", "cancel requested", t -> 1);
    assertEquals("CANCELED", status("b"));
    assertEquals("ABANDONED", status("c"));
    assertEquals(List.of("null|BLOCKED|alice", "BLOCKED|ABANDONED|dependency:b"), events("c"));
    end("a", Cause.SUCCEED);
    assertEquals("CANCELED", status("b"), "a canceled job stays canceled");
    assertCountsKept();
  }

  @Test
  void aRetryReEvaluatesDependencies() throws Exception {
    job("a");
    dependent("b", "a");
    end("a", Cause.FAIL);
    assertEquals("ABANDONED", status("b"));
    IllegalTransitionException refused =
        assertThrows(
            IllegalTransitionException.class,
            () -> store.change("b", Cause.RETRY, "alice", "retry requested", t -> 1));
    assertTrue(refused.getMessage().contains("retry that one first"));
    store.change("a", Cause.RETRY, "alice", "retry requested", t -> 1);
    store.change("b", Cause.RETRY, "alice", "retry requested", t -> 1);
    assertEquals("BLOCKED", status("b"), "it waits for a again");
    assertEquals("1", db.one("SELECT deps_waiting FROM job WHERE id = 'b'"));
    end("a", Cause.SUCCEED);
    assertEquals("PENDING", status("b"));
    // a job canceled while blocked, whose dependency then failed, is abandoned by its retry
    job("x");
    dependent("y", "x");
    store.change("y", Cause.CANCEL, "alice", "cancel requested", t -> 1);
    end("x", Cause.FAIL);
    store.change("y", Cause.RETRY, "alice", "retry requested", t -> 1);
    assertEquals("ABANDONED", status("y"));
    assertTrue(db.one("SELECT data FROM job WHERE id = 'y'").contains("Job x"));
    assertCountsKept();
  }

  @Test
  void anUnblockedJobStillWaitsForItsStartTime() throws Exception {
    job("a");
    Job later = new Job("b", "noop", 0, System.currentTimeMillis(), Map.of());
    later.setMaxAttempts(1);
    long runAt = System.currentTimeMillis() + 3_600_000;
    later.setRunAfter(runAt);
    store.insertWaiting(later, List.of("a"));
    end("a", Cause.SUCCEED);
    assertEquals("PENDING", status("b"));
    assertEquals(Long.toString(runAt), db.one("SELECT run_after FROM job WHERE id = 'b'"));
  }

  /**
   * The parents nobody holds are flagged at once (one statement), before the create waits for the
   * one a start or an ending holds: a commit per parent, each behind the one before, made the first
   * creates naming a parent the slowest of issue 25's storm.
   */
  @Test
  void aCreateFlagsTheFreeParentsAtOnceThenWaitsOnlyForTheHeldOne() throws Exception {
    job("a");
    job("b");
    job("c");
    ExecutorService creator = Executors.newSingleThreadExecutor();
    try (java.sql.Connection holder = db.ds.getConnection()) {
      holder.setAutoCommit(false);
      holder.createStatement().executeQuery("SELECT id FROM job WHERE id = 'b' FOR UPDATE").close();
      Future<?> create = creator.submit(() -> dependent("d", "a", "b", "c"));
      long until = System.currentTimeMillis() + 10_000;
      while (!"TRUE".equals(flag("c")) && System.currentTimeMillis() < until) {
        Thread.sleep(20);
      }
      assertEquals("TRUE", flag("a"));
      assertEquals("TRUE", flag("c"), "c is free: flagged while b is held");
      assertEquals("FALSE", flag("b"));
      assertTrue(!create.isDone(), "the create waits for b");
      holder.commit();
      create.get(30, java.util.concurrent.TimeUnit.SECONDS);
    } finally {
      creator.shutdownNow();
    }
    assertEquals("TRUE", flag("b"));
    assertEquals("BLOCKED", status("d"));
    assertEquals("3", db.one("SELECT deps_waiting FROM job WHERE id = 'd'"));
  }

  private String flag(String id) {
    return db.one(
        "SELECT CASE WHEN has_dependents THEN 'TRUE' ELSE 'FALSE' END FROM job WHERE id = ?", id);
  }

  @Test
  void aDependencyThatEndsWellTwiceCountsOnce() throws Exception {
    job("a");
    job("b");
    dependent("c", "a", "b");
    end("a", Cause.SUCCEED);
    store.change("a", Cause.FORCE_PENDING, "alice", "status set (forced)", t -> 1);
    end("a", Cause.SUCCEED);
    assertEquals("BLOCKED", status("c"), "b still has not ended");
    end("b", Cause.SUCCEED);
    assertEquals("PENDING", status("c"));
  }

  @Test
  void dependenciesEndingAtOnceOnTwoThreadsUnblockTheirFanInOnce() throws Exception {
    int n = 40;
    String[] deps = new String[n];
    for (int i = 0; i < n; i++) {
      job("p" + i);
      deps[i] = "p" + i;
    }
    dependent("join", deps);
    List<ClaimedJob> claimed = new ArrayList<>();
    long now = System.currentTimeMillis();
    List<RunStart> starts = new ArrayList<>();
    for (ClaimedJob j : store.reserve("me", 1000, now, now + 60_000, Map.of(), List.of())) {
      claimed.add(j);
      starts.add(new RunStart(j.id(), "noop", j.attempt(), now));
    }
    store.record("me", starts, List.of(), "engine:me");
    ExecutorService two = Executors.newFixedThreadPool(2);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      int half = t;
      done.add(
          two.submit(
              () -> {
                go.await();
                for (int i = half; i < n; i += 2) {
                  store.finish("me", List.of(outcome("p" + i, 1, Cause.SUCCEED)), "engine:" + half);
                }
                return null;
              }));
    }
    go.countDown();
    for (Future<?> f : done) {
      f.get();
    }
    two.shutdown();
    assertEquals("PENDING", status("join"));
    assertEquals("0", db.one("SELECT deps_waiting FROM job WHERE id = 'join'"));
    assertEquals(
        "1",
        db.one("SELECT COUNT(*) FROM job_event WHERE job_id = 'join' AND new_status = 'PENDING'"));
    assertCountsKept();
  }
}
