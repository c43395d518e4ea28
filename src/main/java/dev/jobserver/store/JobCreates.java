package dev.jobserver.store;

import static dev.jobserver.store.DependencyResolution.ENDED_BADLY;
import static dev.jobserver.store.DependencyResolution.ENDED_WELL;
import static dev.jobserver.store.DependencyResolution.dependencyFailed;
import static dev.jobserver.store.StoreSql.bind;
import static dev.jobserver.store.StoreSql.chunks;
import static dev.jobserver.store.StoreSql.placeholders;
import static dev.jobserver.store.StoreSql.retryingDeadlocks;

import dev.jobserver.job.Job;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobStatus;
import dev.jobserver.job.UnknownDependencyException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Creates: new jobs with their "created" events. Plain creates share transactions (group commit); a
 * job with dependencies is written alone, with its dependencies locked; a schedule's jobs are
 * written in the transaction that advances the schedule.
 */
final class JobCreates {

  private final StoreSql store;
  private final GroupCommit<Job> inserts;

  JobCreates(StoreSql store) {
    this.store = store;
    this.inserts = new GroupCommit<>(this::insertAll);
  }

  static final String INSERT_JOB =
      "INSERT INTO job (id, type, priority, create_at, start_at, last_activity_at, status,"
          + " progress, data, force_run, created_by, attempt, max_attempts, run_after, delayed,"
          + " lease_expires_at) VALUES (?, ?, ?, ?, 0, 0, ?, 0, ?, ?, ?, 0, ?, ?, ?, 0)";

  /**
   * Stores a new job with its "created" event. Creates that arrive while another is being written
   * share the next transaction (see {@link GroupCommit}); returns once this one is committed.
   */
  public void insert(Job job) throws SQLException {
    inserts.write(job);
  }

  /**
   * Stores new jobs, each with its "created" event (the actor is the job's creator), in one local
   * transaction: two batched statements (multi-row inserts on PostgreSQL).
   */
  void insertAll(List<Job> jobs) throws SQLException {
    try (Connection c = store.transaction();
        PreparedStatement ins = c.prepareStatement(INSERT_JOB);
        PreparedStatement ev = c.prepareStatement(JobEventStore.INSERT)) {
      for (Job job : jobs) {
        bindCommon(ins, job);
        ins.addBatch();
        JobEventStore.add(
            ev,
            job.getId(),
            job.getCreateAt(),
            job.getCreatedBy(),
            null,
            job.getStatus(),
            "created");
      }
      ins.executeBatch();
      ev.executeBatch();
      JobCounts counts = new JobCounts();
      for (Job job : jobs) {
        counts.created(job.getType(), job.getStatus());
      }
      counts.apply(c, store.isPostgres(c));
      c.commit();
      counts.publish(store.listener());
    }
  }

  static final String INSERT_JOB_FULL =
      "INSERT INTO job (id, type, priority, create_at, start_at, last_activity_at, status,"
          + " progress, data, force_run, created_by, attempt, max_attempts, run_after, delayed,"
          + " lease_expires_at, schedule_id, due_at, deps_waiting)"
          + " VALUES (?, ?, ?, ?, 0, 0, ?, 0, ?, ?, ?, 0, ?, ?, ?, 0, ?, ?, ?)";

  /**
   * The eleven parameters {@link #INSERT_JOB} and {@link #INSERT_JOB_FULL} begin with, in order. A
   * job due later than its creation is written {@code delayed}: out of the claim index until it is
   * due (see {@link Leases#promoteDue}).
   */
  private static void bindCommon(PreparedStatement ins, Job job) throws SQLException {
    ins.setString(1, job.getId());
    ins.setString(2, job.getType());
    ins.setInt(3, job.getPriority());
    ins.setLong(4, job.getCreateAt());
    ins.setString(5, job.getStatus().name());
    ins.setString(6, job.dataJson());
    ins.setBoolean(7, job.isForce());
    ins.setString(8, Text.column(job.getCreatedBy(), JobEventStore.MAX_ACTOR));
    ins.setInt(9, job.getMaxAttempts());
    ins.setLong(10, job.getRunAfter());
    ins.setBoolean(11, job.getRunAfter() > job.getCreateAt());
  }

  private static void bindFull(PreparedStatement ins, Job job, int depsWaiting)
      throws SQLException {
    bindCommon(ins, job);
    ins.setString(12, job.getScheduleId());
    if (job.getDueAt() == null) {
      ins.setNull(13, java.sql.Types.BIGINT);
    } else {
      ins.setLong(13, job.getDueAt());
    }
    ins.setInt(14, depsWaiting);
  }

  /**
   * Stores a new job that depends on other jobs, in its own transaction: the dependencies are
   * locked (so none of them ends unseen while the job is written), the state machine decides
   * whether it starts PENDING (all ended well), BLOCKED (some have not ended) or ABANDONED (one
   * ended failed, canceled or abandoned), and the new job's status is set on {@code job}. While a
   * dependency is locked by the engine (its start or end being written), the create lets go and
   * tries again a few ms later, for up to {@link #NOWAIT_MILLIS}; then it waits for the locks (up
   * to lock_timeout, then the request answers busy). Holding no lock while it waits, it never makes
   * the engine's batches wait for it in turn (issue 25: chains of such waits ran past the
   * timeouts).
   *
   * @param dependsOn ids of existing jobs, without repeats
   * @throws UnknownDependencyException naming the first id that is no job
   */
  public void insertWaiting(Job job, List<String> dependsOn) throws SQLException {
    List<String> sorted = new ArrayList<>(new TreeSet<>(dependsOn));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(NOWAIT_MILLIS);
    for (int attempt = 1; ; attempt++) {
      boolean nowait = System.nanoTime() < deadline;
      try {
        flagDependencies(sorted);
        retryingDeadlocks(
            () -> {
              insertWaitingOnce(job, dependsOn, sorted, nowait);
              return null;
            });
        return;
      } catch (SQLException e) {
        if (!isLockTimeout(e)) {
          throw e;
        }
        if (!nowait) {
          // it waited for its dependencies past lock_timeout, after NOWAIT_MILLIS of tries: the
          // statement was canceled, the transaction rolled back and the connection kept
          throw e;
        }
        // a dependency is locked now (its run's start or end is being written): nothing is held
        // while this waits, so the engine's batch never waits for this create in turn
        pause(attempt);
      }
    }
  }

  /**
   * How long a create with dependencies tries to lock them without waiting ({@code NOWAIT}, on
   * PostgreSQL) before it waits for them like any statement (up to lock_timeout).
   */
  static final long NOWAIT_MILLIS = 8_000;

  private static void pause(int attempt) throws SQLException {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(5, 10 + Math.min(100, 10L * attempt)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLTransientException("interrupted while waiting for its dependencies", "57014");
    }
  }

  /** PostgreSQL's lock_timeout or NOWAIT (55P03), or H2's lock timeout (HYT00). */
  static boolean isLockTimeout(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql
          && ("55P03".equals(sql.getSQLState()) || "HYT00".equals(sql.getSQLState()))) {
        return true;
      }
    }
    return false;
  }

  private void insertWaitingOnce(
      Job job, List<String> dependsOn, List<String> sorted, boolean nowait) throws SQLException {
    try (Connection c = store.transaction()) {
      Map<String, JobStatus> statuses = lockDependencies(c, sorted, nowait);
      String failed = null;
      int waiting = 0;
      for (String dep : dependsOn) {
        JobStatus status = statuses.get(dep);
        if (status == null) {
          throw new UnknownDependencyException(dep);
        }
        if (ENDED_BADLY.contains(status)) {
          failed = failed == null ? dep : failed;
        } else if (!ENDED_WELL.contains(status)) {
          waiting++;
        }
      }
      JobStatus initial = JobLifecycle.initial(waiting > 0, failed != null);
      String error = failed == null ? null : dependencyFailed(failed, statuses.get(failed));
      job.startsAs(initial, error);
      try (PreparedStatement ins = c.prepareStatement(INSERT_JOB_FULL)) {
        bindFull(ins, job, initial == JobStatus.BLOCKED ? waiting : 0);
        ins.executeUpdate();
      }
      try (PreparedStatement edge =
          c.prepareStatement(
              "INSERT INTO job_dependency (depends_on, job_id, met) VALUES (?, ?, ?)")) {
        for (String dep : dependsOn) {
          edge.setString(1, dep);
          edge.setString(2, job.getId());
          edge.setBoolean(3, ENDED_WELL.contains(statuses.get(dep)));
          edge.addBatch();
        }
        edge.executeBatch();
      }
      try (PreparedStatement ev = c.prepareStatement(JobEventStore.INSERT)) {
        JobEventStore.add(
            ev,
            job.getId(),
            job.getCreateAt(),
            job.getCreatedBy(),
            null,
            initial,
            error == null ? "created" : "created; " + error);
        ev.executeBatch();
      }
      JobCounts counts = new JobCounts();
      counts.created(job.getType(), initial);
      if (initial.isFinished()) {
        counts.runEnded(job.getType(), initial, job.getCreateAt(), -1);
      }
      counts.apply(c, store.isPostgres(c));
      c.commit();
      counts.publish(store.listener());
    }
  }

  /**
   * Flags a new job's dependencies as having dependents before the job's transaction: from then on
   * an ending of one of them looks for its dependents (the run ledger reads the flag on the row it
   * locked). The rows nobody holds are flagged together, then each one held by a start or an ending
   * in a transaction of its own, in id order; a flagged row is not touched. A create that then
   * fails leaves the flag: an ending finds no dependent, as for a dependent deleted since.
   *
   * @param sorted the dependencies' ids, in id order, without repeats
   */
  private void flagDependencies(List<String> sorted) throws SQLException {
    try (Connection c = store.connection()) {
      List<String> unflagged = unflagged(c, sorted);
      if (unflagged.isEmpty()) {
        return;
      }
      // first all that nobody holds now, in one statement and one commit (SKIP LOCKED waits for
      // none): a commit per parent made the first creates naming a parent the slowest of the storm
      int flagged = 0;
      for (List<String> chunk : chunks(unflagged)) {
        try (PreparedStatement all =
            c.prepareStatement(
                "UPDATE job SET has_dependents = TRUE WHERE id IN (SELECT id FROM job"
                    + " WHERE has_dependents = FALSE AND id IN ("
                    + placeholders(chunk.size())
                    + ") ORDER BY id FOR UPDATE SKIP LOCKED)")) {
          bind(all, 1, chunk);
          flagged += all.executeUpdate();
        }
      }
      if (flagged == unflagged.size()) {
        return;
      }
      // then those a start or an ending holds, each in a transaction of its own (auto-commit):
      // none is held while another is waited for
      try (PreparedStatement flag =
          c.prepareStatement(
              "UPDATE job SET has_dependents = TRUE WHERE id = ? AND has_dependents = FALSE")) {
        for (String dep : unflagged(c, unflagged)) {
          flag.setString(1, dep);
          flag.executeUpdate();
        }
      }
    }
  }

  /** Those of {@code ids} (in id order) not flagged yet, in id order. */
  private static List<String> unflagged(Connection c, List<String> ids) throws SQLException {
    List<String> unflagged = new ArrayList<>();
    for (List<String> chunk : chunks(ids)) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id FROM job WHERE has_dependents = FALSE AND id IN ("
                  + placeholders(chunk.size())
                  + ") ORDER BY id")) {
        bind(ps, 1, chunk);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            unflagged.add(rs.getString(1));
          }
        }
      }
    }
    return unflagged;
  }

  /**
   * Reads a new job's dependencies (flagged already, see {@link #flagDependencies}), locked in id
   * order so that none of them ends unseen while the job is written: an ending locks its job's row
   * first and reads its dependents after, so it either waits for this transaction and then sees the
   * new job's edges, or ends before and this reads its new status. On PostgreSQL the lock is {@code
   * FOR SHARE}: creates that share dependencies do not wait for one another, only for an ending (or
   * a start) of one of them, and with {@code nowait} not even that (the caller tries again a little
   * later, holding nothing meanwhile); on H2 (embedded, one instance) {@code FOR UPDATE}.
   *
   * @param sorted the dependencies' ids, in id order, without repeats
   * @return each existing dependency's status, as locked
   */
  private Map<String, JobStatus> lockDependencies(Connection c, List<String> sorted, boolean nowait)
      throws SQLException {
    String lock = store.isPostgres(c) ? (nowait ? "FOR SHARE NOWAIT" : "FOR SHARE") : "FOR UPDATE";
    Map<String, JobStatus> statuses = new HashMap<>();
    for (List<String> chunk : chunks(sorted)) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, status FROM job WHERE id IN ("
                  + placeholders(chunk.size())
                  + ") ORDER BY id "
                  + lock)) {
        bind(ps, 1, chunk);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            statuses.put(rs.getString(1), JobStatus.valueOf(rs.getString(2)));
          }
        }
      }
    }
    return statuses;
  }

  /**
   * Writes a schedule's new jobs (with their schedule id and due time, and their "created" events
   * by their creator, {@code schedule:<id>}, saying who fired them) in the caller's transaction,
   * which also advances the schedule: the unique (schedule_id, due_at) key refuses a second job for
   * one due time.
   *
   * @return what to run once that transaction has committed (it tells the listener)
   */
  Runnable insertScheduled(Connection c, List<Job> jobs, String firedBy) throws SQLException {
    if (jobs.isEmpty()) {
      return () -> {};
    }
    try (PreparedStatement ins = c.prepareStatement(INSERT_JOB_FULL);
        PreparedStatement ev = c.prepareStatement(JobEventStore.INSERT)) {
      JobCounts counts = new JobCounts();
      for (Job job : jobs) {
        bindFull(ins, job, 0);
        ins.addBatch();
        JobEventStore.add(
            ev,
            job.getId(),
            job.getCreateAt(),
            job.getCreatedBy(),
            null,
            job.getStatus(),
            (job.getDueAt() == null
                    ? "created: run now"
                    : "created for the due time " + java.time.Instant.ofEpochMilli(job.getDueAt()))
                + " by "
                + firedBy);
        counts.created(job.getType(), job.getStatus());
      }
      ins.executeBatch();
      ev.executeBatch();
      counts.apply(c, store.isPostgres(c));
      return () -> counts.publish(store.listener());
    }
  }

  /** The statuses of these jobs now (absent: no such job), read without locking. */
  Map<String, JobStatus> statuses(Connection c, Collection<String> ids) throws SQLException {
    Map<String, JobStatus> out = new HashMap<>();
    for (List<String> chunk : chunks(new ArrayList<>(ids))) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, status FROM job WHERE id IN (" + placeholders(chunk.size()) + ")")) {
        bind(ps, 1, chunk);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.put(rs.getString(1), JobStatus.valueOf(rs.getString(2)));
          }
        }
      }
    }
    return out;
  }
}
