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
   * state machine's START) and how runs ended. A run that both started and ended since the last
   * call, plainly (completed or skipped, no data to add), is written in one statement.
   *
   * @return the starts that were refused: the job is no longer the reservation the run was started
   *     on (canceled, changed or taken over meanwhile); those runs must stop
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
    Transition start = JobLifecycle.decide(JobStatus.PENDING, Cause.START, 0, 1);
    Map<String, RunOutcome> endOf = new HashMap<>();
    for (RunOutcome o : ends) {
      endOf.put(o.jobId() + "#" + o.attempt(), o);
    }
    try (Connection c = store.transaction()) {
      // the rows this transaction writes, locked first and in id order: its batched statements
      // (one per shape of update) would otherwise take them in the order of their shapes, and a
      // create locking its dependencies in id order could wait for it in a cycle (issue 25)
      Set<String> touched = new HashSet<>();
      starts.forEach(s -> touched.add(s.jobId()));
      ends.forEach(o -> touched.add(o.jobId()));
      StoreSql.lockInOrder(c, touched);
      Statements statements = new Statements(store, c);
      // each start is followed by its index k: a job may have two starts here (an old run's,
      // written before with its answer lost, and a new attempt's), so nothing is keyed by job id
      int n = starts.size();
      String[] keys = new String[n];
      RunOutcome[] endedWith = new RunOutcome[n]; // the end written in the start's statement
      for (int k = 0; k < n; k++) {
        RunStart s = starts.get(k);
        RunOutcome end = endOf.get(s.jobId() + "#" + s.attempt());
        Transition then = end == null ? null : plainEnd(end);
        keys[k] = JobRowUpdate.sql(start, then == null ? start : then, false);
        JobRowUpdate.Values v = startValues(s, owner, now);
        if (then != null) {
          v.reportedProgress = end.progress();
          endedWith[k] = end;
        }
        JobRowUpdate.add(statements.get(keys[k]), s.jobId(), start, then == null ? start : then, v);
      }
      Map<String, int[]> counts = statements.executeUpdates();
      // which starts applied: a statement's counts come in the order its rows were added
      boolean[] applied = new boolean[n];
      Map<String, Integer> next = new HashMap<>();
      for (int k = 0; k < n; k++) {
        int index = next.merge(keys[k], 1, Integer::sum) - 1;
        applied[k] = counts.get(keys[k])[index] != 0;
      }
      // a start written before (when its run opened its result) was not refused; its end, if it
      // came with it, is written below like any other
      boolean[] startedBefore = new boolean[n];
      boolean[] deferred = new boolean[n];
      lookAtUnapplied(c, owner, starts, applied, startedBefore, deferred);
      boolean anyDeferred = false;
      for (int k = 0; k < n; k++) {
        if (deferred[k]) {
          // some job depends on it: written as a start now, its end below with the row read
          RunStart s = starts.get(k);
          JobRowUpdate.add(
              statements.get(JobRowUpdate.sql(start, start, false)),
              s.jobId(),
              start,
              start,
              startValues(s, owner, now));
          applied[k] = true;
          anyDeferred = true;
        }
      }
      if (anyDeferred) {
        statements.executeUpdates(); // the rows are locked: each applies
      }
      Set<String> refused = new HashSet<>();
      Set<String> kept = new HashSet<>();
      List<RunOutcome> rest = new ArrayList<>(ends);
      for (int k = 0; k < n; k++) {
        RunStart s = starts.get(k);
        if (!applied[k]) {
          (startedBefore[k] ? kept : refused).add(s.jobId());
          if (endedWith[k] != null && !startedBefore[k]) {
            rest.remove(endedWith[k]); // its start was refused: the run is not the job's any more
          }
          continue;
        }
        kept.add(s.jobId());
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
        RunOutcome o = endedWith[k];
        if (o != null && !deferred[k]) {
          // written with its start; no job depends on it (the statement applies only then)
          rest.remove(o);
          Transition end = plainEnd(o);
          statements.event(o.jobId(), now, actor, JobStatus.RUNNING, end.to(), eventMessage(o));
          statements.count(s.type(), end, now, s.startedAt());
        }
      }
      refused.removeAll(kept); // another start of the job here applied, or was written before
      finishIn(c, statements, owner, rest, actor, now);
      statements.executeAll();
      store.commit(c, statements);
      return refused;
    }
  }

  private static JobRowUpdate.Values startValues(RunStart s, String owner, long now) {
    JobRowUpdate.Values v = new JobRowUpdate.Values(now);
    v.startedAt = s.startedAt();
    v.owner = owner;
    v.attemptBefore = s.attempt() - 1;
    return v;
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
   * Looks at the starts that changed no row ({@code applied[k]} false), under the rows' locks. A
   * start whose job is already running this very run (its start was written before, e.g. when its
   * result was opened) was not refused: {@code startedBefore[k]}. One still reserved for the run
   * whose job has dependents is {@code deferred[k]}: the statement that writes a start and a plain
   * end at once applies only to jobs without dependents, whose ending needs no further look.
   */
  private static void lookAtUnapplied(
      Connection c,
      String owner,
      List<RunStart> starts,
      boolean[] applied,
      boolean[] startedBefore,
      boolean[] deferred)
      throws SQLException {
    Set<String> candidates = new HashSet<>();
    for (int k = 0; k < starts.size(); k++) {
      if (!applied[k]) {
        candidates.add(starts.get(k).jobId());
      }
    }
    if (candidates.isEmpty()) {
      return;
    }
    Map<String, Row> rows = lockAll(c, candidates, false);
    for (int k = 0; k < starts.size(); k++) {
      RunStart s = starts.get(k);
      Row row = rows.get(s.jobId());
      if (applied[k] || row == null) {
        continue;
      }
      if (owner.equals(row.leaseOwner)
          && row.attempt == s.attempt()
          && (row.status == JobStatus.RUNNING || row.status == JobStatus.CANCEL_REQUESTED)) {
        startedBefore[k] = true;
      } else if (Leases.reservedBy(row, owner)
          && row.attempt == s.attempt() - 1
          && row.hasDependents) {
        deferred[k] = true; // still our reservation: the start-and-end statement skips these
      }
    }
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
