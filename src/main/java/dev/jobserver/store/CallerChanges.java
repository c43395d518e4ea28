package dev.jobserver.store;

import static dev.jobserver.store.DependencyResolution.ENDED_BADLY;
import static dev.jobserver.store.DependencyResolution.dependencyState;
import static dev.jobserver.store.StoreSql.lock;
import static dev.jobserver.store.StoreSql.mergedData;
import static dev.jobserver.store.StoreSql.retryingDeadlocks;

import dev.jobserver.job.IllegalTransitionException;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobNotFoundException;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.DependencyResolution.DependencyState;
import dev.jobserver.store.StoreSql.Row;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * What callers (the APIs) ask of a job: a change its status allows (cancel, retry, requeue, force
 * back to pending...), as the state machine decides it, and the delete of a finished job.
 */
final class CallerChanges {

  private final StoreSql store;

  CallerChanges(StoreSql store) {
    this.store = store;
  }

  /**
   * Applies a change a caller asks for: locks the job, asks the state machine, writes what it
   * decided with the event.
   *
   * @param budget the attempts a fresh budget gives a job of a type
   * @throws JobNotFoundException if there is no such job
   * @throws IllegalTransitionException if its status does not allow the change
   */
  public Transition change(
      String id, Cause cause, String actor, String message, ToIntFunction<String> budget)
      throws SQLException {
    return retryingDeadlocks(() -> changeOnce(id, cause, actor, message, budget));
  }

  private Transition changeOnce(
      String id, Cause cause, String actor, String message, ToIntFunction<String> budget)
      throws SQLException {
    long now = System.currentTimeMillis();
    try (Connection c = store.transaction()) {
      Row row = lock(c, id);
      DependencyState deps = DependencyState.NONE;
      if (cause == Cause.RETRY && ENDED_BADLY.contains(row.status)) {
        deps = dependencyState(c, id);
      }
      Transition t =
          JobLifecycle.decide(row.status, cause, row.attempt, row.maxAttempts, deps.where());
      Statements statements = new Statements(store, c);
      if (t.changes()) {
        JobRowUpdate.Values v = new JobRowUpdate.Values(now);
        v.budget = budget.applyAsInt(row.type);
        String error = t.error() == JobLifecycle.Error.SET ? deps.reason() : null;
        if (error != null) {
          v.data = mergedData(row.data, Map.of(), t, error);
          v.stacktrace = row.stacktrace;
        }
        JobRowUpdate.add(statements.get(JobRowUpdate.sql(t, error != null)), id, t, v);
        if (t.result() == JobLifecycle.Result.DISCARD) {
          statements.discardResult(id);
        }
        if (t.to() == JobStatus.BLOCKED) {
          deps.rewrite(c, id);
        }
        statements.event(
            id, now, actor, t.from(), t.to(), error == null ? message : message + "; " + error);
        statements.count(row.type, t, now, row.startAt);
        statements.ended(id, t, row.hasDependents);
        statements.executeAll();
      }
      store.commit(c, statements);
      return t;
    }
  }

  /**
   * Deletes a finished job with its result and events (the foreign keys cascade).
   *
   * @throws IllegalTransitionException if it has not finished
   */
  public void delete(String id) throws SQLException {
    try (Connection c = store.transaction()) {
      Row row = lock(c, id);
      if (!JobLifecycle.deletable(row.status)) {
        throw new IllegalTransitionException(row.status, "Job: " + id + " cannot be deleted.");
      }
      try (PreparedStatement del = c.prepareStatement("DELETE FROM job WHERE id = ?")) {
        del.setString(1, id);
        del.executeUpdate();
      }
      JobCounts counts = new JobCounts();
      counts.deleted(row.type, row.status);
      counts.apply(c, store.isPostgres(c));
      c.commit();
    }
  }
}
