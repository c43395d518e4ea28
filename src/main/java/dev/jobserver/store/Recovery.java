package dev.jobserver.store;

import static dev.jobserver.store.RunLedger.RUNNING_STATES;
import static dev.jobserver.store.StoreSql.lockAll;
import static dev.jobserver.store.StoreSql.mergedData;

import dev.jobserver.job.IllegalTransitionException;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.StoreSql.Row;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Jobs whose run is gone: recovered when their instance stopped renewing the lease (another
 * instance's {@code LeaseRecovery} finds them), or handed back by an instance that will not finish
 * them (it is shutting down). Not to be confused with the engine's {@code LeaseRecovery}, which
 * calls {@link #recoverExpired}.
 */
final class Recovery {

  private final StoreSql store;
  private final Leases leases;

  Recovery(StoreSql store, Leases leases) {
    this.store = store;
    this.leases = leases;
  }

  /**
   * Recovers jobs whose instance stopped renewing their lease, as the state machine decides: back
   * to PENDING (once beyond the attempts), else FAILED; a job that was being canceled ends
   * CANCELED.
   *
   * @return how many jobs were recovered
   */
  public int recoverExpired(long now, int limit, String actor) throws SQLException {
    return StoreSql.retryingDeadlocks(() -> recoverExpiredOnce(now, limit, actor));
  }

  /** The values of a hand-back: the lease stays while the run's thread is alive. */
  private static JobRowUpdate.Values keepingLease(long now, boolean alive) {
    JobRowUpdate.Values v = new JobRowUpdate.Values(now);
    v.keepLease = alive;
    return v;
  }

  private int recoverExpiredOnce(long now, int limit, String actor) throws SQLException {
    try (Connection c = store.transaction()) {
      List<Row> expired = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT "
                  + Row.COLUMNS
                  + ", data, stacktrace FROM job WHERE status IN "
                  + RUNNING_STATES
                  + " AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?"
                  + " FOR UPDATE SKIP LOCKED")) {
        ps.setLong(1, now);
        ps.setInt(2, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            expired.add(Row.read(rs, true));
          }
        }
      }
      if (expired.isEmpty()) {
        return 0;
      }
      Statements statements = new Statements(store, c);
      for (Row row : expired) {
        Transition t =
            JobLifecycle.decide(row.status, Cause.LEASE_EXPIRED, row.attempt, row.maxAttempts);
        String message;
        String error = null;
        if (t.to() == JobStatus.CANCELED) {
          message = "canceled: the instance running it (" + row.leaseOwner + ") stopped responding";
        } else if (t.to() == JobStatus.PENDING) {
          message = "requeued: the instance running it (" + row.leaseOwner + ") stopped responding";
        } else {
          message =
              "The instance running this job ("
                  + row.leaseOwner
                  + ") stopped responding and the job has no attempts left ("
                  + row.attempt
                  + " runs for "
                  + row.maxAttempts
                  + " attempts and one lost instance).";
          error = message;
        }
        JobRowUpdate.Values v = new JobRowUpdate.Values(now);
        boolean rewrites = error != null;
        if (rewrites) {
          v.data = mergedData(row.data, Map.of(), t, error);
          v.stacktrace = row.stacktrace;
        }
        JobRowUpdate.add(statements.get(JobRowUpdate.sql(t, rewrites)), row.id, t, v);
        if (t.result() == JobLifecycle.Result.DISCARD) {
          statements.discardResult(row.id);
        }
        statements.event(row.id, now, actor, t.from(), t.to(), message);
        statements.count(row.type, t, now, row.startAt);
        statements.ended(row.id, t, row.hasDependents);
      }
      statements.executeAll();
      store.commit(c, statements);
      return expired.size();
    }
  }

  /**
   * Gives back jobs this instance claimed but will not finish (it is shutting down, or claimed more
   * of a type than it may run): a running one becomes PENDING without using up an attempt, one that
   * was being canceled ends CANCELED.
   */
  public int handBack(
      String owner, Collection<String> ids, Collection<String> alive, String actor, String reason)
      throws SQLException {
    if (ids.isEmpty()) {
      return 0;
    }
    return StoreSql.retryingDeadlocks(() -> handBackOnce(owner, ids, alive, actor, reason));
  }

  private int handBackOnce(
      String owner, Collection<String> ids, Collection<String> alive, String actor, String reason)
      throws SQLException {
    long now = System.currentTimeMillis();
    try (Connection c = store.transaction()) {
      Map<String, Row> rows = lockAll(c, ids, false);
      Statements statements = new Statements(store, c);
      int handed = 0;
      List<String> reserved = new ArrayList<>();
      for (Row row : rows.values()) {
        if (!owner.equals(row.leaseOwner)) {
          continue;
        }
        if (Leases.reservedBy(row, owner)) {
          // never started: a reservation, given up without an event; but a run stopped from
          // outside (timed out with attempts left, requeued) whose thread is alive keeps the
          // lease until it returns, or another instance would start the job beside it
          if (!alive.contains(row.id)) {
            reserved.add(row.id);
          }
          continue;
        }
        Transition t;
        try {
          t = JobLifecycle.decide(row.status, Cause.HAND_BACK, row.attempt, row.maxAttempts);
        } catch (IllegalTransitionException notRunning) {
          continue;
        }
        JobRowUpdate.add(
            statements.get(JobRowUpdate.sql(t, false, alive.contains(row.id))),
            row.id,
            t,
            keepingLease(now, alive.contains(row.id)));
        if (t.result() == JobLifecycle.Result.DISCARD) {
          statements.discardResult(row.id);
        }
        statements.event(row.id, now, actor, t.from(), t.to(), reason);
        statements.count(row.type, t, now, row.startAt);
        statements.ended(row.id, t, row.hasDependents);
        handed++;
      }
      statements.executeAll();
      store.commit(c, statements);
      return handed + leases.release(owner, reserved);
    }
  }
}
