package dev.jobserver.engine;

import static dev.jobserver.engine.EngineFixture.ACTOR;
import static dev.jobserver.engine.EngineFixture.OWNER;
import static dev.jobserver.engine.EngineFixture.outcome;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.StoreException;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.RunOutcome;
import dev.jobserver.store.RunStart;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class OutcomeRecorderTest {

  private final EngineFixture f = new EngineFixture();
  private final JobHandler handler = EngineFixture.handler("t", 0, Duration.ofMinutes(1));

  /**
   * The real store, refusing (as PostgreSQL refuses NUL in text, SQLSTATE 22021) every write that
   * carries an outcome matching {@code refuses}, and failing as an unreachable database (08006)
   * while {@code down} is above 0.
   */
  private final class Refusing extends JobStore {
    final Predicate<RunOutcome> refuses;
    final AtomicInteger down = new AtomicInteger();
    final AtomicInteger deadlocks = new AtomicInteger();

    /**
     * Writes of outcomes canceled as PostgreSQL cancels a statement for lock_timeout (55P03, odd
     * counts) or statement_timeout (57014, even), while above 0.
     */
    final AtomicInteger busy = new AtomicInteger();

    Refusing(Predicate<RunOutcome> refuses) {
      this.refuses = refuses;
    }

    private void check(List<RunOutcome> outcomes) throws SQLException {
      if (down.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new SQLException("Connection refused", "08006");
      }
      if (deadlocks.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new SQLException("deadlock detected", "40P01");
      }
      int b = outcomes.isEmpty() ? 0 : busy.getAndUpdate(n -> Math.max(0, n - 1));
      if (b > 0) {
        throw b % 2 == 1
            ? new SQLException("canceling statement due to lock timeout", "55P03")
            : new SQLException("canceling statement due to statement timeout", "57014");
      }
      if (outcomes.stream().anyMatch(refuses)) {
        throw new SQLException("invalid byte sequence for encoding UTF8: 0x00", "22021");
      }
    }

    @Override
    public Set<String> record(
        String owner, List<RunStart> starts, List<RunOutcome> ends, String actor)
        throws SQLException {
      check(ends);
      return f.store.record(owner, starts, ends, actor);
    }

    @Override
    public int finish(String owner, List<RunOutcome> outcomes, String actor) throws SQLException {
      check(outcomes);
      return f.store.finish(owner, outcomes, actor);
    }
  }

  private OutcomeRecorder recorder(JobStore store, List<String> refusedStarts) {
    return new OutcomeRecorder(() -> store, OWNER, ACTOR, refusedStarts::add);
  }

  @Test
  void anOutcomeTheDatabaseRefusesHurtsOnlyItsOwnJobAndIsRecordedSanitised() throws Exception {
    for (String id : List.of("ok1", "bad", "ok2")) {
      f.insert(id, "t", 1000);
      f.startedRun(id, handler);
    }
    Refusing store = new Refusing(o -> o.error() != null && o.error().indexOf('\0') >= 0);
    OutcomeRecorder recorder = recorder(store, new ArrayList<>());
    recorder.record(outcome("ok1", 1, Cause.SUCCEED, null));
    recorder.record(outcome("bad", 1, Cause.FAIL, "a\0b"));
    recorder.record(outcome("ok2", 1, Cause.SUCCEED, null));
    recorder.step();
    assertEquals("COMPLETED", f.row("ok1").get("status"));
    assertEquals("COMPLETED", f.row("ok2").get("status"));
    assertEquals("FAILED", f.row("bad").get("status"));
    assertTrue(((String) f.row("bad").get("data")).contains("a\uFFFDb"), f.row("bad").toString());
    assertEquals(0, recorder.waiting());
  }

  @Test
  void anOutcomeRefusedEvenSanitisedFailsTheJobSayingWhy() throws Exception {
    f.insert("x", "t", 1000);
    f.startedRun("x", handler);
    Refusing store = new Refusing(o -> o.cause() == Cause.SUCCEED);
    OutcomeRecorder recorder = recorder(store, new ArrayList<>());
    recorder.record(outcome("x", 1, Cause.SUCCEED, null));
    recorder.step();
    assertEquals("FAILED", f.row("x").get("status"));
    assertTrue(
        ((String) f.row("x").get("data")).contains("The outcome of this run could not be stored"));
  }

  @Test
  void whileTheDatabaseCannotBeReachedOutcomesWaitAndAreWrittenWhenItAnswers() throws Exception {
    f.insert("w", "t", 1000);
    f.startedRun("w", handler);
    Refusing store = new Refusing(o -> false);
    store.down.set(2);
    OutcomeRecorder recorder = recorder(store, new ArrayList<>());
    recorder.record(outcome("w", 1, Cause.SUCCEED, null));
    assertThrows(SQLException.class, recorder::step);
    assertEquals(1, recorder.waiting(), "kept, not lost");
    assertThrows(SQLException.class, recorder::step);
    recorder.step();
    assertEquals(0, recorder.waiting());
    assertEquals("COMPLETED", f.row("w").get("status"));
  }

  @Test
  void aDeadlockNeverChangesAnOutcome() throws Exception {
    f.insert("d", "t", 1000);
    f.startedRun("d", handler);
    Refusing store = new Refusing(o -> false);
    store.deadlocks.set(3); // still deadlocked after the store's own retries, three times over
    OutcomeRecorder recorder = recorder(store, new ArrayList<>());
    recorder.record(outcome("d", 1, Cause.SUCCEED, null));
    for (int i = 0; i < 3; i++) {
      assertThrows(SQLException.class, recorder::step, "the loop backs off and tries again");
      assertEquals(1, recorder.waiting(), "kept as it is, never sanitised or failed");
    }
    recorder.step();
    assertEquals("COMPLETED", f.row("d").get("status"));
    assertEquals(0, recorder.waiting());
  }

  @Test
  void aLockOrStatementTimeoutNeverChangesAnOutcomeAndShrinksTheNextBatches() throws Exception {
    for (String id : List.of("b1", "b2")) {
      f.insert(id, "t", 1000);
      f.startedRun(id, handler);
    }
    Refusing store = new Refusing(o -> false);
    store.busy.set(3); // lock, statement, lock timeout: as many as a write alone would try
    OutcomeRecorder recorder = recorder(store, new ArrayList<>());
    recorder.record(outcome("b1", 1, Cause.SUCCEED, null));
    recorder.record(outcome("b2", 1, Cause.FAIL, "boom"));
    for (int i = 1; i <= 3; i++) {
      SQLException e = assertThrows(SQLException.class, recorder::step, "backs off, tries again");
      assertTrue(StoreException.isBusy(e), e.toString());
      assertEquals(2, recorder.waiting(), "kept as they are, never sanitised or failed");
      assertEquals(OutcomeRecorder.BATCH >> i, recorder.batchLimit(), "smaller batches");
    }
    assertEquals("RUNNING", f.row("b1").get("status"));
    recorder.step();
    assertEquals(0, recorder.waiting());
    assertEquals("COMPLETED", f.row("b1").get("status"));
    assertEquals("FAILED", f.row("b2").get("status"));
    assertTrue(((String) f.row("b2").get("data")).contains("boom"), f.row("b2").toString());
    assertEquals((OutcomeRecorder.BATCH >> 3) * 2, recorder.batchLimit(), "growing back");
  }

  @Test
  void theStoreRetriesATransactionTheDatabaseAbortedForADeadlock() throws Exception {
    f.insert("e", "t", 1000);
    f.startedRun("e", handler);
    AtomicInteger aborts = new AtomicInteger(2);
    JobStore store = JobStore.over(DeadlockingDataSource.over(f.ds, aborts));
    store.finish(OWNER, List.of(outcome("e", 1, Cause.SUCCEED, null)), ACTOR);
    assertEquals(0, aborts.get(), "aborted twice");
    assertEquals("COMPLETED", f.row("e").get("status"));
    assertEquals(List.of("PENDING>RUNNING", "RUNNING>COMPLETED"), f.events("e"), "once");
  }

  @Test
  void aStartAndItsEndAreWrittenTogetherAndARefusedStartStopsItsRun() throws Exception {
    f.insert("s", "t", 1000);
    f.insert("gone", "t", 1001);
    List<String> refused = new ArrayList<>();
    OutcomeRecorder recorder = recorder(f.store, refused);
    Run s = new Run(f.reserve("s"), handler, null, f.clock, OWNER, r -> {});
    Run gone = new Run(f.reserve("gone"), handler, null, f.clock, OWNER, r -> {});
    f.update("UPDATE job SET status = 'CANCELED', lease_owner = NULL WHERE id = 'gone'");
    s.started();
    gone.started();
    recorder.started(s);
    recorder.started(gone);
    recorder.record(outcome("s", 1, Cause.SUCCEED, null));
    recorder.step();
    assertEquals(List.of("gone"), refused);
    assertEquals("COMPLETED", f.row("s").get("status"));
    assertEquals(f.clock.millis(), f.row("s").get("start_at"));
    assertEquals(List.of("PENDING>RUNNING", "RUNNING>COMPLETED"), f.events("s"));
    assertTrue(s.startWritten);
  }
}
