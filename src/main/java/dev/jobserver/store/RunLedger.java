package dev.jobserver.store;

import static dev.jobserver.store.StoreSql.lock;
import static dev.jobserver.store.StoreSql.lockAll;
import static dev.jobserver.store.StoreSql.mergedData;

import dev.jobserver.job.IllegalTransitionException;
import dev.jobserver.job.JobData;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.StoreSql.Row;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The run ledger: what runs did to their jobs. A reserved job becomes RUNNING when its run starts,
 * and ends as the state machine decides from the run's outcome; running jobs report progress. Each
 * write applies only while the job is still the run's (its lease owner and attempt).
 */
final class RunLedger {

  /** SQL: the statuses of a job whose run is live (started, not yet ended). */
  static final String RUNNING_STATES = "('RUNNING', 'CANCEL_REQUESTED')";

  /** Stack traces kept per job (the latest): a job retried for ever must not grow for ever. */
  static final int MAX_TRACES = 10;

  /** Characters kept of one stack trace. */
  static final int MAX_TRACE_LENGTH = 16_000;

  private final StoreSql store;

  RunLedger(StoreSql store) {
    this.store = store;
  }

  /**
   * Records, in one transaction, that runs started (their reserved jobs become RUNNING, as the
   * state machine's START) and how runs ended. The rows are locked and read first, in id order, and
   * each start and end is decided from what they say, in the batch's order: a start applies to the
   * reservation it was made on (this instance's, one attempt before the run's); a start written
   * before (its run opened its result first, or the commit's answer was lost) is not refused; an
   * end applies while the job is still its run's. A run that both started and ended since the last
   * call, plainly (completed or skipped, no data to add), is written in one statement.
   *
   * @return the jobs whose start was refused: the job is no longer the reservation the run was
   *     started on (canceled, changed or taken over meanwhile); those runs must stop
   */
  public Set<String> record(
      String owner, List<RunStart> starts, List<RunOutcome> ends, String actor)
      throws SQLException {
    if (starts.isEmpty() && ends.isEmpty()) {
      return Set.of();
    }
    return StoreSql.retryingDeadlocks(() -> recordOnce(owner, starts, ends, actor));
  }

  private Set<String> recordOnce(
      String owner, List<RunStart> starts, List<RunOutcome> ends, String actor)
      throws SQLException {
    long now = System.currentTimeMillis();
    Map<String, RunOutcome> endOf = new HashMap<>();
    for (RunOutcome o : ends) {
      endOf.put(o.jobId() + "#" + o.attempt(), o);
    }
    try (Connection c = store.transaction()) {
      // the rows this transaction writes, locked and read first, in id order: its batched
      // statements (one per shape of update) would otherwise take them in the order of their
      // shapes, and a create locking its dependencies in id order could wait for it in a cycle
      Set<String> touched = new HashSet<>();
      starts.forEach(s -> touched.add(s.jobId()));
      ends.forEach(o -> touched.add(o.jobId()));
      boolean needsData = ends.stream().anyMatch(o -> !o.data().isEmpty() || o.error() != null);
      Map<String, Row> rows = lockAll(c, touched, needsData);
      Statements statements = new Statements(store, c);
      Set<String> refused = new HashSet<>();
      Set<String> kept = new HashSet<>();
      List<RunOutcome> rest = new ArrayList<>(ends);
      for (RunStart s : starts) {
        Row row = rows.get(s.jobId());
        if (row != null && Leases.reservedBy(row, owner) && row.attempt == s.attempt() - 1) {
          kept.add(s.jobId());
          RunOutcome end = endOf.get(s.jobId() + "#" + s.attempt());
          if (start(statements, row, s, end, owner, actor, now)) {
            rest.remove(end);
          }
        } else if (row != null
            && owner.equals(row.leaseOwner)
            && row.attempt == s.attempt()
            && (row.status == JobStatus.RUNNING || row.status == JobStatus.CANCEL_REQUESTED)) {
          kept.add(s.jobId()); // written before: its run opened its result first, or an answer
        } else {
          refused.add(s.jobId()); // canceled, changed or taken over while reserved
        }
      }
      // one job may have two starts here: an old run's written again beside its next attempt's
      refused.removeAll(kept);
      // the other ends, decided from the rows as they are now (after the starts above); their
      // statements run after the starts' (Statements keeps its statements in the order of their
      // first use), so an end never lands on a row whose start is still to be written
      finishIn(c, statements, owner, rest, actor, now, rows);
      statements.executeAll();
      store.commit(c, statements);
      return refused;
    }
  }

  /**
   * Writes the start of a run on its reservation ({@code row}, locked), with its end in the same
   * statement when that end is plain, and leaves {@code row} as the statement leaves the job.
   *
   * @return whether the end was written with it
   */
  private static boolean start(
      Statements statements,
      Row row,
      RunStart s,
      RunOutcome end,
      String owner,
      String actor,
      long now)
      throws SQLException {
    Transition start = JobLifecycle.decide(JobStatus.PENDING, Cause.START, 0, 1);
    Transition then = end == null ? null : plainEnd(end);
    Transition written = then == null ? start : then;
    JobRowUpdate.Values v = new JobRowUpdate.Values(now);
    v.startedAt = s.startedAt();
    v.owner = owner;
    v.attemptBefore = row.attempt;
    v.reportedProgress = end == null ? 0 : end.progress();
    JobRowUpdate.add(
        statements.get(JobRowUpdate.sql(start, written, false)), s.jobId(), start, written, v);
    statements.count(s.type(), start, s.startedAt(), 0);
    if (s.dueAt() > 0) {
      statements.counts.started(s.type(), s.startedAt() - s.dueAt());
    }
    statements.event(
        s.jobId(),
        s.startedAt(),
        actor,
        JobStatus.PENDING,
        JobStatus.RUNNING,
        s.attempt() > 1 ? "attempt " + s.attempt() : null);
    row.status = JobStatus.RUNNING;
    row.attempt = s.attempt();
    row.startAt = s.startedAt();
    if (then == null) {
      return false;
    }
    statements.event(s.jobId(), now, actor, JobStatus.RUNNING, then.to(), eventMessage(end));
    statements.count(s.type(), then, now, s.startedAt());
    statements.ended(s.jobId(), then, row.hasDependents);
    row.status = then.to();
    row.leaseOwner = null;
    return true;
  }

  /** The end of a run that can be written together with its start, or null. */
  private static Transition plainEnd(RunOutcome o) {
    if ((o.cause() != Cause.SUCCEED && o.cause() != Cause.SKIP)
        || !o.data().isEmpty()
        || o.attempt() > 1) {
      return null; // data to add, or an earlier attempt's error to clear: the row is read first
    }
    return JobLifecycle.decide(JobStatus.RUNNING, o.cause(), o.attempt(), o.attempt());
  }

  /**
   * Records how runs ended, as the state machine decides from each job's status now: a run whose
   * job was meanwhile asked to cancel ends CANCELED whatever it returned; a run that no longer owns
   * its job (requeued, recovered elsewhere) changes nothing.
   *
   * @return how many jobs changed
   */
  public int finish(String owner, List<RunOutcome> outcomes, String actor) throws SQLException {
    if (outcomes.isEmpty()) {
      return 0;
    }
    return StoreSql.retryingDeadlocks(() -> finishOnce(owner, outcomes, actor));
  }

  private int finishOnce(String owner, List<RunOutcome> outcomes, String actor)
      throws SQLException {
    try (Connection c = store.transaction()) {
      Statements statements = new Statements(store, c);
      int changed = finishIn(c, statements, owner, outcomes, actor, System.currentTimeMillis());
      statements.executeAll();
      store.commit(c, statements);
      return changed;
    }
  }

  /**
   * Records how runs ended (see {@link #finish}) in the caller's transaction, adding its statements
   * to {@code statements}; the caller executes and commits them. A remote worker's ending comes
   * here after its fence was checked under the row's lock (see {@link RemoteLeases}).
   */
  int finishIn(
      Connection c,
      Statements statements,
      String owner,
      List<RunOutcome> outcomes,
      String actor,
      long now)
      throws SQLException {
    return finishIn(c, statements, owner, outcomes, actor, now, null);
  }

  /**
   * As {@link #finishIn(Connection, Statements, String, List, String, long)}, on rows the caller
   * locked and read in this transaction ({@code locked}; null: lock them here). A row read without
   * its data is read again with it where the outcome rewrites the data.
   */
  int finishIn(
      Connection c,
      Statements statements,
      String owner,
      List<RunOutcome> outcomes,
      String actor,
      long now,
      Map<String, Row> locked)
      throws SQLException {
    if (outcomes.isEmpty()) {
      return 0;
    }
    Map<String, RunOutcome> byId = new LinkedHashMap<>();
    for (RunOutcome o : outcomes) {
      byId.put(o.jobId(), o);
    }
    boolean needsData = outcomes.stream().anyMatch(o -> !o.data().isEmpty() || o.error() != null);
    Map<String, Row> current = locked != null ? locked : lockAll(c, byId.keySet(), needsData);
    int changed = 0;
    for (RunOutcome o : byId.values()) {
      Row row = current.get(o.jobId());
      if (row == null
          || !owner.equals(row.leaseOwner)
          || row.attempt != o.attempt()
          || !(row.status == JobStatus.RUNNING || row.status == JobStatus.CANCEL_REQUESTED)) {
        continue; // deleted, or no longer this run's
      }
      Transition t;
      try {
        // a final failure is decided as the last attempt: the job fails, it is not retried
        t =
            JobLifecycle.decide(
                row.status,
                o.cause(),
                row.attempt,
                o.finalFailure() ? row.attempt : row.maxAttempts);
      } catch (IllegalTransitionException superseded) {
        continue;
      }
      JobRowUpdate.Values v = new JobRowUpdate.Values(now);
      v.reportedProgress = o.progress();
      v.retryAt = o.retryAt();
      v.keepLease = o.keepsLease();
      String message = outcomeMessage(o, t, now);
      Map<String, String> data = t.to() == JobStatus.CANCELED ? Map.of() : o.data();
      String error = t.error() == JobLifecycle.Error.SET ? o.error() : null;
      boolean rewrites =
          !data.isEmpty()
              || error != null
              || (t.error() == JobLifecycle.Error.CLEAR && row.attempt > 1);
      if (rewrites) {
        if (row.data == null) {
          // the batch was locked without its data (only plain outcomes were expected)
          row = lock(c, o.jobId());
        }
        v.data = mergedData(row.data, data, t, error);
        v.stacktrace = traces(row.stacktrace, error == null ? null : o.stacktrace());
      }
      JobRowUpdate.add(statements.get(JobRowUpdate.sql(t, rewrites, v.keepLease)), o.jobId(), t, v);
      if (t.result() == JobLifecycle.Result.DISCARD) {
        statements.discardResult(o.jobId());
      }
      statements.event(o.jobId(), now, actor, t.from(), t.to(), message);
      statements.count(row.type, t, now, row.startAt);
      statements.ended(o.jobId(), t, row.hasDependents);
      changed++;
    }
    return changed;
  }

  /** Writes progress of running jobs, one batch; a job that is no longer this run's is skipped. */
  public void progress(String owner, Collection<ProgressUpdate> updates) throws SQLException {
    if (updates.isEmpty()) {
      return;
    }
    try (Connection c = store.transaction();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE job SET progress = ?, last_activity_at = ?"
                    + " WHERE id = ? AND lease_owner = ? AND attempt = ? AND status IN "
                    + RUNNING_STATES)) {
      for (ProgressUpdate u : updates) {
        ps.setInt(1, u.progress());
        ps.setLong(2, u.at());
        ps.setString(3, u.jobId());
        ps.setString(4, owner);
        ps.setInt(5, u.attempt());
        ps.addBatch();
      }
      ps.executeBatch();
      c.commit();
    }
  }

  private static String eventMessage(RunOutcome o) {
    return o.message() != null ? o.message() : o.error();
  }

  /** The event message of an outcome: the retry announced, else the message or the error. */
  private static String outcomeMessage(RunOutcome o, Transition t, long now) {
    if (o.cause() == Cause.FAIL && t.to() == JobStatus.PENDING) {
      return "attempt "
          + o.attempt()
          + " failed, retry in "
          + Math.max(0, o.retryAt() - now)
          + " ms: "
          + o.error();
    }
    if (t.to() == JobStatus.CANCELED) {
      return "canceled on request";
    }
    return o.message() != null ? o.message() : o.error();
  }

  /** The stack traces with this failure's appended: the latest {@link #MAX_TRACES}, each cut. */
  static String traces(String currentJson, String trace) {
    if (trace == null) {
      return currentJson;
    }
    List<String> traces = new ArrayList<>(JobData.listFromJson(currentJson));
    traces.add(trace.length() <= MAX_TRACE_LENGTH ? trace : trace.substring(0, MAX_TRACE_LENGTH));
    if (traces.size() > MAX_TRACES) {
      traces = traces.subList(traces.size() - MAX_TRACES, traces.size());
    }
    return JobData.listToJson(traces);
  }
}
