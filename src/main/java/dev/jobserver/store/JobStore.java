package dev.jobserver.store;

import static dev.jobserver.store.StoreSql.lock;
import static dev.jobserver.store.StoreSql.lockAll;
import static dev.jobserver.store.StoreSql.mergedData;
import static dev.jobserver.store.StoreSql.placeholders;

import dev.jobserver.database.ConfiguredDataSource;
import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.IllegalTransitionException;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobData;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobLifecycle.Dependents;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.StoreSql.Row;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;
import javax.sql.DataSource;

/**
 * The only writer of the {@code job} table and its {@code job_event} rows: every status change,
 * each decided by {@link JobLifecycle} and applied here with its event in one local transaction.
 * Plain JDBC, batched: creates (group commit), claims, endings and leases are the hot paths of the
 * engine and the API (README, Performance). Never called inside a container transaction.
 */
@ApplicationScoped
public class JobStore {

  static final String RUNNING_STATES = "('RUNNING', 'CANCEL_REQUESTED')";

  /** Stack traces kept per job (the latest): a job retried for ever must not grow for ever. */
  static final int MAX_TRACES = 10;

  /** Characters kept of one stack trace. */
  static final int MAX_TRACE_LENGTH = 16_000;

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  @Inject private Instance<StoreListener> listeners;

  /** The data source, transactions, listener and engine callback the parts share. */
  private StoreSql store;

  private JobCreates creates;
  private CallerChanges changes;
  private Retention retention;

  public JobStore() {
    assemble(null); // in the container, init assembles it again once the data source is injected
  }

  JobStore(DataSource dataSource) {
    this.dataSource = dataSource;
    init();
  }

  /** A store on the given data source that tells the listener what it commits (tests). */
  JobStore(DataSource dataSource, StoreListener listener) {
    this(dataSource);
    store.listener(listener);
  }

  @PostConstruct
  void init() {
    assemble(dataSource);
    if (listeners != null) {
      List<StoreListener> all = new ArrayList<>();
      listeners.forEach(all::add);
      store.listener(
          new StoreListener() {
            @Override
            public void created(String type) {
              all.forEach(l -> l.created(type));
            }

            @Override
            public void started(String type, long waitMillis) {
              all.forEach(l -> l.started(type, waitMillis));
            }

            @Override
            public void finished(String type, JobStatus status, long runMillis) {
              all.forEach(l -> l.finished(type, status, runMillis));
            }
          });
    }
  }

  /** The parts, over one shared data source. */
  private void assemble(DataSource dataSource) {
    store = new StoreSql(dataSource);
    creates = new JobCreates(store);
    changes = new CallerChanges(store);
    retention = new Retention(store);
  }

  /** Whom to tell when jobs whose dependencies are met became pending (this instance's engine). */
  public void whenUnblocked(Runnable listener) {
    store.whenUnblocked(listener);
  }

  /** A store on the given data source (tests, and the direct store below). */
  public static JobStore over(DataSource dataSource) {
    return new JobStore(dataSource);
  }

  /**
   * A store on direct, unpooled connections. When the server stops, the container destroys the
   * application's pool before the engine's shutdown runs; this is how the engine still records
   * outcomes and hands jobs back then.
   */
  public static JobStore direct() {
    return new JobStore(new ConfiguredDataSource());
  }

  /**
   * Loads every class these statements use and opens one connection, so that they still work when
   * the application's class loader has been closed (the server is stopping; see the engine).
   */
  public void warmUp(String owner) throws SQLException {
    JobData.fromJson(JobData.toJson(Map.of("k", "v")));
    JobData.listFromJson(JobData.listToJson(List.of("x")));
    Text.column("-", 1);
    new RunState("-", JobStatus.RUNNING, owner, 0).hashCode();
    handBack(owner, List.of("-"), "-", "-");
    release(owner, List.of("-"));
    record(
        owner,
        List.of(new RunStart("-", "-", 1, 0)),
        List.of(new RunOutcome("-", 1, Cause.SUCCEED, 0, Map.of(), null, null, 0, null)),
        "-");
    finish(
        owner,
        List.of(new RunOutcome("-", 0, Cause.FAIL, 0, Map.of("k", "v"), "-", "-", 0, "-")),
        "-");
    progress(owner, List.of(new ProgressUpdate("-", 0, 0, 0)));
    // what an ending that concerns dependents loads (the shutdown path records endings too)
    new DependencyResolution.Ending("-", JobStatus.FAILED, Dependents.ABANDON).hashCode();
    for (Cause cause : List.of(Cause.SUCCEED, Cause.FAIL, Cause.HAND_BACK)) {
      JobRowUpdate.sql(JobLifecycle.decide(JobStatus.RUNNING, cause, 1, 1), true);
    }
    // a run stops canceled only from CANCEL_REQUESTED (from RUNNING the state machine refuses it)
    JobRowUpdate.sql(
        JobLifecycle.decide(JobStatus.CANCEL_REQUESTED, Cause.STOP_CANCELED, 1, 1), true);
  }

  // ---- creates (JobCreates) -------------------------------------------------------------------

  /** Stores a new job with its "created" event, in a shared transaction (group commit). */
  public void insert(Job job) throws SQLException {
    creates.insert(job);
  }

  /** Stores new jobs in one transaction (tests; see {@link JobCreates#insertAll}). */
  void insertAll(List<Job> jobs) throws SQLException {
    creates.insertAll(jobs);
  }

  /** Stores a new job that depends on other jobs (see {@link JobCreates#insertWaiting}). */
  public void insertWaiting(Job job, List<String> dependsOn) throws SQLException {
    creates.insertWaiting(job, dependsOn);
  }

  /** Writes a schedule's new jobs in the caller's transaction (see {@link ScheduleStore}). */
  Runnable insertScheduled(Connection c, List<Job> jobs, String firedBy) throws SQLException {
    return creates.insertScheduled(c, jobs, firedBy);
  }

  /** The statuses of these jobs now (absent: no such job), read without locking. */
  Map<String, JobStatus> statuses(Connection c, Collection<String> ids) throws SQLException {
    return creates.statuses(c, ids);
  }

  // ---- what callers ask for (CallerChanges, Retention) ----------------------------------------

  /** Applies a change a caller asks for (see {@link CallerChanges#change}). */
  public Transition change(
      String id, Cause cause, String actor, String message, ToIntFunction<String> budget)
      throws SQLException {
    return changes.change(id, cause, actor, message, budget);
  }

  /** Deletes a finished job with its result and events. */
  public void delete(String id) throws SQLException {
    changes.delete(id);
  }

  /** Deletes up to {@code batch} finished jobs created before the cutoff; how many. */
  public int deleteFinishedBefore(long cutoff, int batch) throws SQLException {
    return retention.deleteFinishedBefore(cutoff, batch);
  }

  // ---- the engine -----------------------------------------------------------------------------

  /**
   * Reserves up to {@code limit} PENDING jobs that are due for this instance, highest priority then
   * oldest first, in one statement; rows locked by another instance's claim are skipped, never
   * waited for. A reservation is no status change: the job stays PENDING to every reader, with no
   * event, until a worker starts it ({@link #record}); a reservation whose lease expires (its
   * instance died or gave it up) is free to be taken again.
   *
   * @param onlyType claim only this type (its concurrency limit decides {@code limit}), or null
   * @param excludedTypes types not to claim (those with limits are claimed one by one)
   * @param excludedIds jobs not to claim (an earlier run of theirs is still alive here)
   * @return the reserved jobs, in claim order, each with the attempt its run will be
   */
  public List<ClaimedJob> reserve(
      String owner,
      int limit,
      long now,
      long leaseUntil,
      String onlyType,
      Collection<String> excludedTypes,
      Collection<String> excludedIds)
      throws SQLException {
    StringBuilder select =
        new StringBuilder(
            "SELECT id FROM job WHERE status = 'PENDING' AND run_after <= ?"
                + " AND lease_expires_at < ?");
    if (onlyType != null) {
      select.append(" AND type = ?");
    }
    if (!excludedTypes.isEmpty()) {
      select.append(" AND type NOT IN (").append(placeholders(excludedTypes.size())).append(')');
    }
    if (!excludedIds.isEmpty()) {
      select.append(" AND id NOT IN (").append(placeholders(excludedIds.size())).append(')');
    }
    select.append(" ORDER BY priority DESC, create_at, id LIMIT ? FOR UPDATE SKIP LOCKED");
    String update =
        "UPDATE job SET lease_owner = ?, lease_expires_at = ? WHERE id IN (" + select + ")";
    String sql =
        isPostgres(null)
            ? update + " RETURNING id, type, data, attempt, priority, create_at, run_after"
            : "SELECT id, type, data, attempt, priority, create_at, run_after FROM FINAL TABLE ("
                + update
                + ")";
    try (Connection c = transaction()) {
      List<Object[]> rows = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int i = 1;
        ps.setString(i++, owner);
        ps.setLong(i++, leaseUntil);
        ps.setLong(i++, now);
        ps.setLong(i++, now);
        if (onlyType != null) {
          ps.setString(i++, onlyType);
        }
        for (String type : excludedTypes) {
          ps.setString(i++, type);
        }
        for (String id : excludedIds) {
          ps.setString(i++, id);
        }
        ps.setInt(i, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            rows.add(
                new Object[] {
                  new ClaimedJob(
                      rs.getString(1),
                      rs.getString(2),
                      JobData.fromJson(rs.getString(3)),
                      rs.getInt(4) + 1,
                      Math.max(rs.getLong(6), rs.getLong(7))),
                  rs.getInt(5),
                  rs.getLong(6)
                });
          }
        }
      }
      c.commit();
      // RETURNING and FINAL TABLE do not keep the subquery's order: start them in claim order
      rows.sort(
          Comparator.<Object[]>comparingInt(r -> -(int) r[1])
              .thenComparingLong(r -> (long) r[2])
              .thenComparing(r -> ((ClaimedJob) r[0]).id()));
      List<ClaimedJob> claimed = new ArrayList<>(rows.size());
      rows.forEach(r -> claimed.add((ClaimedJob) r[0]));
      return claimed;
    }
  }

  /**
   * Gives up reservations this instance will not start (no worker was free in time, the instance
   * stops, an earlier run of the job is still alive here): the job was PENDING all along, so
   * nothing else changes and no event is written.
   *
   * @return how many reservations were given up
   */
  public int release(String owner, Collection<String> ids) throws SQLException {
    if (ids.isEmpty()) {
      return 0;
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE job SET lease_owner = NULL, lease_expires_at = 0 WHERE status = 'PENDING'"
                    + " AND lease_owner = ? AND id IN ("
                    + placeholders(ids.size())
                    + ")")) {
      int i = 1;
      ps.setString(i++, owner);
      for (String id : ids) {
        ps.setString(i++, id);
      }
      return ps.executeUpdate();
    }
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
    long now = System.currentTimeMillis();
    Transition start = JobLifecycle.decide(JobStatus.PENDING, Cause.START, 0, 1);
    Map<String, RunOutcome> endOf = new HashMap<>();
    for (RunOutcome o : ends) {
      endOf.put(o.jobId() + "#" + o.attempt(), o);
    }
    try (Connection c = transaction()) {
      Statements statements = new Statements(store, c);
      List<RunStart> written = new ArrayList<>();
      List<RunOutcome> combined = new ArrayList<>();
      List<String> keys = new ArrayList<>();
      for (RunStart s : starts) {
        RunOutcome end = endOf.get(s.jobId() + "#" + s.attempt());
        JobRowUpdate.Values v = new JobRowUpdate.Values(now);
        v.startedAt = s.startedAt();
        v.owner = owner;
        v.attemptBefore = s.attempt() - 1;
        Transition then = end == null ? null : plainEnd(end);
        if (then != null) {
          v.reportedProgress = end.progress();
          JobRowUpdate.add(
              statements.get(JobRowUpdate.sql(start, then, false)), s.jobId(), start, then, v);
          combined.add(end);
        } else {
          JobRowUpdate.add(
              statements.get(JobRowUpdate.sql(start, start, false)), s.jobId(), start, start, v);
        }
        written.add(s);
        keys.add(JobRowUpdate.sql(start, then == null ? start : then, false));
      }
      Map<String, int[]> counts = statements.executeUpdates();
      // which starts applied: a statement's counts come in the order its rows were added
      Set<String> unapplied = new HashSet<>();
      Map<String, Integer> next = new HashMap<>();
      for (int k = 0; k < written.size(); k++) {
        String sql = keys.get(k);
        int index = next.merge(sql, 1, Integer::sum) - 1;
        if (counts.get(sql)[index] == 0) {
          unapplied.add(written.get(k).jobId());
        }
      }
      // a start written before (when its run opened its result) was not refused; its end, if it
      // came with it, is written below like any other
      Set<String> deferred = new HashSet<>();
      Set<String> startedBefore = alreadyStarted(c, owner, unapplied, written, deferred);
      Set<String> refused = new HashSet<>(unapplied);
      refused.removeAll(startedBefore);
      refused.removeAll(deferred);
      if (!deferred.isEmpty()) {
        // some job depends on these: written as a start now, their ends below with the row read
        for (RunStart s : written) {
          if (deferred.contains(s.jobId())) {
            JobRowUpdate.Values v = new JobRowUpdate.Values(now);
            v.startedAt = s.startedAt();
            v.owner = owner;
            v.attemptBefore = s.attempt() - 1;
            JobRowUpdate.add(
                statements.get(JobRowUpdate.sql(start, start, false)), s.jobId(), start, start, v);
          }
        }
        statements.executeUpdates(); // the rows are locked: each applies
        unapplied.removeAll(deferred);
      }
      for (RunStart s : written) {
        if (unapplied.contains(s.jobId())) {
          continue;
        }
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
      }
      List<RunOutcome> rest = new ArrayList<>(ends);
      for (RunOutcome o : combined) {
        if (deferred.contains(o.jobId())) {
          continue; // written by finishIn, which reads the row and its dependents
        }
        if (unapplied.contains(o.jobId())) {
          if (!startedBefore.contains(o.jobId())) {
            rest.remove(o); // its start was refused: the run is not the job's any more
          }
          continue;
        }
        rest.remove(o);
        Transition end = plainEnd(o);
        statements.event(o.jobId(), now, actor, JobStatus.RUNNING, end.to(), eventMessage(o));
        statements.count(typeOf(written, o.jobId()), end, now, startOf(written, o.jobId()));
        // no job depends on it: the statement applies only to a job without dependents
      }
      finishIn(c, statements, owner, rest, actor, now);
      statements.executeAll();
      commit(c, statements);
      return refused;
    }
  }

  private static String typeOf(List<RunStart> starts, String jobId) {
    return starts.stream().filter(s -> s.jobId().equals(jobId)).findFirst().orElseThrow().type();
  }

  private static long startOf(List<RunStart> starts, String jobId) {
    return starts.stream()
        .filter(s -> s.jobId().equals(jobId))
        .findFirst()
        .orElseThrow()
        .startedAt();
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
   * Of the starts that changed no row, those whose job is already running this very run (its start
   * was written before, e.g. when its result was opened): they were not refused. Those still
   * reserved for the run whose job has dependents go to {@code deferred}: the statement that writes
   * a start and a plain end at once applies only to jobs without dependents, whose ending needs no
   * further look.
   */
  private static Set<String> alreadyStarted(
      Connection c,
      String owner,
      Set<String> candidates,
      List<RunStart> starts,
      Set<String> deferred)
      throws SQLException {
    if (candidates.isEmpty()) {
      return Set.of();
    }
    Map<String, Integer> attempts = new HashMap<>();
    for (RunStart s : starts) {
      attempts.put(s.jobId(), s.attempt());
    }
    Set<String> started = new HashSet<>();
    for (Row row : lockAll(c, candidates, false).values()) {
      if (owner.equals(row.leaseOwner)
          && row.attempt == attempts.get(row.id)
          && (row.status == JobStatus.RUNNING || row.status == JobStatus.CANCEL_REQUESTED)) {
        started.add(row.id);
      } else if (owner.equals(row.leaseOwner)
          && row.attempt == attempts.get(row.id) - 1
          && row.status == JobStatus.PENDING
          && row.hasDependents) {
        deferred.add(row.id); // still our reservation: the start-and-end statement skips these
      }
    }
    return started;
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
    try (Connection c = transaction()) {
      Statements statements = new Statements(store, c);
      int changed = finishIn(c, statements, owner, outcomes, actor, System.currentTimeMillis());
      statements.executeAll();
      commit(c, statements);
      return changed;
    }
  }

  private int finishIn(
      Connection c,
      Statements statements,
      String owner,
      List<RunOutcome> outcomes,
      String actor,
      long now)
      throws SQLException {
    if (outcomes.isEmpty()) {
      return 0;
    }
    Map<String, RunOutcome> byId = new LinkedHashMap<>();
    for (RunOutcome o : outcomes) {
      byId.put(o.jobId(), o);
    }
    boolean needsData = outcomes.stream().anyMatch(o -> !o.data().isEmpty() || o.error() != null);
    Map<String, Row> current = lockAll(c, byId.keySet(), needsData);
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
        t = JobLifecycle.decide(row.status, o.cause(), row.attempt, row.maxAttempts);
      } catch (IllegalTransitionException superseded) {
        continue;
      }
      JobRowUpdate.Values v = new JobRowUpdate.Values(now);
      v.reportedProgress = o.progress();
      v.retryAt = o.retryAt();
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
      JobRowUpdate.add(statements.get(JobRowUpdate.sql(t, rewrites)), o.jobId(), t, v);
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

  /**
   * Extends the leases of every job this instance holds (running or reserved), in one statement.
   */
  public int extendLeases(String owner, long leaseUntil) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("UPDATE job SET lease_expires_at = ? WHERE lease_owner = ?")) {
      ps.setLong(1, leaseUntil);
      ps.setString(2, owner);
      return ps.executeUpdate();
    }
  }

  /** Writes progress of running jobs, one batch; a job that is no longer this run's is skipped. */
  public void progress(String owner, Collection<ProgressUpdate> updates) throws SQLException {
    if (updates.isEmpty()) {
      return;
    }
    try (Connection c = transaction();
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

  /** What the database says of these jobs now (a job that was deleted is absent). */
  public Map<String, RunState> states(Collection<String> ids) throws SQLException {
    if (ids.isEmpty()) {
      return Collections.emptyMap();
    }
    Map<String, RunState> out = new HashMap<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, status, lease_owner, attempt FROM job WHERE id IN ("
                    + placeholders(ids.size())
                    + ")")) {
      int i = 1;
      for (String id : ids) {
        ps.setString(i++, id);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(
              rs.getString(1),
              new RunState(
                  rs.getString(1),
                  JobStatus.valueOf(rs.getString(2)),
                  rs.getString(3),
                  rs.getInt(4)));
        }
      }
    }
    return out;
  }

  /**
   * Recovers jobs whose instance stopped renewing their lease, as the state machine decides: back
   * to PENDING (once beyond the attempts), else FAILED; a job that was being canceled ends
   * CANCELED.
   *
   * @return how many jobs were recovered
   */
  public int recoverExpired(long now, int limit, String actor) throws SQLException {
    try (Connection c = transaction()) {
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
      commit(c, statements);
      return expired.size();
    }
  }

  /**
   * Gives back jobs this instance claimed but will not finish (it is shutting down, or claimed more
   * of a type than it may run): a running one becomes PENDING without using up an attempt, one that
   * was being canceled ends CANCELED.
   */
  public int handBack(String owner, Collection<String> ids, String actor, String reason)
      throws SQLException {
    if (ids.isEmpty()) {
      return 0;
    }
    long now = System.currentTimeMillis();
    try (Connection c = transaction()) {
      Map<String, Row> rows = lockAll(c, ids, false);
      Statements statements = new Statements(store, c);
      int handed = 0;
      List<String> reserved = new ArrayList<>();
      for (Row row : rows.values()) {
        if (!owner.equals(row.leaseOwner)) {
          continue;
        }
        if (row.status == JobStatus.PENDING) {
          reserved.add(row.id); // never started: a reservation, given up without an event
          continue;
        }
        Transition t;
        try {
          t = JobLifecycle.decide(row.status, Cause.HAND_BACK, row.attempt, row.maxAttempts);
        } catch (IllegalTransitionException notRunning) {
          continue;
        }
        JobRowUpdate.add(
            statements.get(JobRowUpdate.sql(t, false)), row.id, t, new JobRowUpdate.Values(now));
        if (t.result() == JobLifecycle.Result.DISCARD) {
          statements.discardResult(row.id);
        }
        statements.event(row.id, now, actor, t.from(), t.to(), reason);
        statements.count(row.type, t, now, row.startAt);
        statements.ended(row.id, t, row.hasDependents);
        handed++;
      }
      statements.executeAll();
      commit(c, statements);
      return handed + release(owner, reserved);
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

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

  // ---- shared with the parts (StoreSql) -------------------------------------------------------

  private Connection transaction() throws SQLException {
    return store.transaction();
  }

  private boolean isPostgres(Connection c) throws SQLException {
    return store.isPostgres(c);
  }

  private void commit(Connection c, Statements statements) throws SQLException {
    store.commit(c, statements);
  }
}
