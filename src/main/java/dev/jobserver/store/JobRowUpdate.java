package dev.jobserver.store;

import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobStatus;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;

/**
 * The UPDATE that applies one decided {@link Transition} to one job row, by primary key. The SQL
 * depends only on the shape of the transition, so the same change of many jobs is one batch.
 *
 * <p>One row per statement, by key, rather than {@code WHERE id = ANY (?)} for a group: PostgreSQL
 * caches a generic plan for a prepared statement, and one made while the table was small (a new
 * install, or statistics never gathered because autovacuum is off) is a sequential scan that is
 * kept as the table grows: 17.6 ms per ending at 40,000 jobs in a steady run, against 0.3 ms by
 * key. A key lookup is planned as one at any size.
 */
final class JobRowUpdate {

  /** The values a transition's update may need besides its own constants. */
  static final class Values {
    final long now;

    /** When the run started (epoch ms), for a START; 0: now. */
    long startedAt;

    /** For an update guarded by the reservation: the holder and the attempt before the start. */
    String owner;

    int attemptBefore;
    int reportedProgress;
    long retryAt;
    int budget;
    String data;
    String stacktrace;

    /** The run's thread is still alive: the lease stays (see {@link RunOutcome#keepsLease}). */
    boolean keepLease;

    Values(long now) {
      this.now = now;
    }
  }

  private JobRowUpdate() {}

  static String sql(Transition t, boolean rewritesData) {
    return sql(null, t, rewritesData, false);
  }

  static String sql(Transition t, boolean rewritesData, boolean keepLease) {
    return sql(null, t, rewritesData, keepLease);
  }

  static String sql(Transition start, Transition t, boolean rewritesData) {
    return sql(start, t, rewritesData, false);
  }

  /**
   * With {@code start} (the state machine's START) not null, the update of a reserved job whose run
   * has started: as {@code start} alone ({@code t == start}), or as {@code start} and then {@code
   * t} in one statement, for a run that ended before its start was written. Either way it applies
   * only while the job is still the reservation the start was decided on ({@link
   * Leases#RESERVED_BY}, with the attempt): the ledger decides it on the row it locked and read,
   * and the condition fences the row all the same.
   */
  private static String sql(
      Transition start, Transition t, boolean rewritesData, boolean keepLease) {
    StringBuilder set = new StringBuilder("UPDATE job SET status = ?, last_activity_at = ?");
    if (start != null && t != start) {
      set.append(", attempt = attempt + 1, start_at = ?");
    }
    switch (t.attempts()) {
      case COUNT -> set.append(", attempt = attempt + 1");
      case GIVE_BACK -> set.append(", attempt = attempt - 1");
      case FRESH_BUDGET -> set.append(", max_attempts = attempt + ?");
      case KEEP -> {}
    }
    switch (t.progress()) {
      case ZERO -> set.append(", progress = 0");
      case FULL -> set.append(", progress = 100");
      case FAILED -> set.append(", progress = -1");
      case REPORTED -> set.append(", progress = ?");
      case KEEP -> {}
    }
    if (t.startAt()) {
      set.append(", start_at = ?");
    } else if (t.resetsStart()) {
      set.append(", start_at = 0");
    }
    if (t.clearsLease() && !keepLease) {
      set.append(", lease_owner = NULL, lease_expires_at = 0");
    }
    if (setsRunAfter(t)) {
      set.append(", run_after = ?, delayed = ?");
    }
    if (rewritesData) {
      set.append(", data = ?, stacktrace = ?");
    }
    set.append(" WHERE id = ?");
    if (start != null) {
      set.append(" AND ").append(Leases.RESERVED_BY).append(" AND attempt = ?");
    }
    return set.toString();
  }

  private static boolean setsRunAfter(Transition t) {
    return t.to() == JobStatus.PENDING && !t.keepsRunAfter();
  }

  /** Binds the values of {@link #sql(Transition, boolean)} for one job and adds it to the batch. */
  static void add(PreparedStatement up, String id, Transition t, Values v) throws SQLException {
    add(up, id, null, t, v);
  }

  /** Binds the values of {@link #sql(Transition, Transition, boolean)} and adds it to the batch. */
  static void add(PreparedStatement up, String id, Transition start, Transition t, Values v)
      throws SQLException {
    int i = 1;
    up.setString(i++, t.to().name());
    up.setLong(i++, v.now);
    if (start != null && t != start) {
      up.setLong(i++, v.startedAt > 0 ? v.startedAt : v.now);
    }
    if (t.attempts() == JobLifecycle.Attempts.FRESH_BUDGET) {
      up.setInt(i++, v.budget);
    }
    if (t.progress() == JobLifecycle.Progress.REPORTED) {
      up.setInt(i++, v.reportedProgress);
    }
    if (t.startAt()) {
      up.setLong(i++, v.startedAt > 0 ? v.startedAt : v.now);
    }
    if (setsRunAfter(t)) {
      up.setLong(i++, t.backoff() ? v.retryAt : 0);
      up.setBoolean(i++, t.backoff() && v.retryAt > v.now); // see Leases#promoteDue
    }
    if (v.data != null) {
      up.setString(i++, v.data);
      if (v.stacktrace == null) {
        up.setNull(i++, Types.VARCHAR);
      } else {
        up.setString(i++, v.stacktrace);
      }
    }
    up.setString(i++, id);
    if (start != null) {
      up.setString(i++, JobStatus.PENDING.name());
      up.setString(i++, v.owner);
      up.setInt(i, v.attemptBefore);
    }
    up.addBatch();
  }
}
