package dev.jobserver.store;

import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The batched statements of one transaction: one per shape of update (the same decided change
 * always makes the same SQL), result discards and events, executed together at the end, with what
 * the changes imply for the jobs that depend on them ({@link DependencyResolution}).
 */
final class Statements {
  private final StoreSql store;
  private final Connection c;
  final JobCounts counts = new JobCounts();
  private final Map<String, PreparedStatement> updates = new LinkedHashMap<>();
  private PreparedStatement discards;
  private PreparedStatement events;

  /** The endings in this transaction that concern dependents, resolved in {@link #executeAll}. */
  private final DependencyResolution dependents;

  Statements(StoreSql store, Connection c) {
    this.store = store;
    this.c = c;
    this.dependents = new DependencyResolution(this, c);
  }

  PreparedStatement get(String sql) throws SQLException {
    PreparedStatement ps = updates.get(sql);
    if (ps == null) {
      ps = c.prepareStatement(sql);
      updates.put(sql, ps);
    }
    return ps;
  }

  void discardResult(String id) throws SQLException {
    if (discards == null) {
      discards = c.prepareStatement(ResultStore.DISCARD);
    }
    discards.setString(1, id);
    discards.addBatch();
  }

  void event(String id, long at, String actor, JobStatus from, JobStatus to, String message)
      throws SQLException {
    if (events == null) {
      events = c.prepareStatement(JobEventStore.INSERT);
    }
    JobEventStore.add(events, id, at, actor, from, to, message);
  }

  /**
   * Executes the updates added so far, returning each statement's counts by its SQL; a later {@link
   * #get} of the same SQL makes a new statement.
   */
  Map<String, int[]> executeUpdates() throws SQLException {
    Map<String, int[]> counts = new HashMap<>();
    try {
      for (Map.Entry<String, PreparedStatement> e : updates.entrySet()) {
        counts.put(e.getKey(), e.getValue().executeBatch());
      }
    } finally {
      for (PreparedStatement ps : updates.values()) {
        ps.close();
      }
      updates.clear();
    }
    return counts;
  }

  /**
   * Notes a change that may concern the job's dependents (the state machine says so: it ended well,
   * or badly); they are dealt with in {@link #executeAll}, in this transaction.
   *
   * @param hasDependents the job's flag as read under its lock
   */
  void ended(String id, Transition t, boolean hasDependents) {
    dependents.ended(id, t, hasDependents);
  }

  /** Whether blocked jobs became pending here (the dispatcher is told after the commit). */
  boolean unblockedAny() {
    return dependents.unblockedAny;
  }

  /** Counts a decided change (and, if the job finished, its run) for stats and metrics. */
  void count(String type, Transition t, long now, long startAt) {
    counts.changed(type, t.from(), t.to());
    if (t.to().isFinished() && !t.from().isFinished()) {
      boolean ran = t.from() == JobStatus.RUNNING || t.from() == JobStatus.CANCEL_REQUESTED;
      // a start is on the engine's (the database's) clock, now on this machine's: a run of 0 ms
      // may read a few ms below 0 and must still count as a run
      counts.runEnded(type, t.to(), now, ran && startAt > 0 ? Math.max(0, now - startAt) : -1);
    }
  }

  void executeAll() throws SQLException {
    try {
      executeUpdates();
      dependents.resolve();
      if (discards != null) {
        discards.executeBatch();
      }
      if (events != null) {
        events.executeBatch();
      }
      // last: every transaction that creates or ends jobs updates these few rows, so they are
      // held for as short a time as possible, after every job row this transaction locks
      counts.apply(c, store.isPostgres(c));
    } finally {
      for (PreparedStatement ps : updates.values()) {
        ps.close();
      }
      if (discards != null) {
        discards.close();
      }
      if (events != null) {
        events.close();
      }
    }
  }
}
