package dev.jobserver.store;

import dev.jobserver.database.ConfiguredDataSource;
import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.IllegalTransitionException;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobData;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobLifecycle.Dependencies;
import dev.jobserver.job.JobLifecycle.Dependents;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobNotFoundException;
import dev.jobserver.job.JobStatus;
import dev.jobserver.job.UnknownDependencyException;
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
import java.util.LinkedHashSet;
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

  /** Statuses a dependency may end in for its dependents to run. */
  static final Set<JobStatus> ENDED_WELL =
      Set.of(JobStatus.COMPLETED, JobStatus.WARNING, JobStatus.SKIPPED);

  /** Statuses a dependency may end in that abandon its dependents. */
  static final Set<JobStatus> ENDED_BADLY =
      Set.of(JobStatus.FAILED, JobStatus.CANCELED, JobStatus.ABANDONED);

  /** Most ids in one IN list (PostgreSQL takes 32,767 parameters a statement). */
  static final int IN_CHUNK = 1000;

  @Inject private Instance<StoreListener> listeners;

  private volatile Boolean postgres;
  private GroupCommit<Job> inserts;

  /** Told after a commit that made blocked jobs pending (the local dispatcher claims them). */
  private volatile Runnable unblocked = () -> {};

  /** Every listener bean, told of each committed change (metrics); none in tests. */
  private StoreListener listener = new StoreListener() {};

  public JobStore() {}

  JobStore(DataSource dataSource) {
    this.dataSource = dataSource;
    init();
  }

  /** A store on the given data source that tells the listener what it commits (tests). */
  JobStore(DataSource dataSource, StoreListener listener) {
    this(dataSource);
    this.listener = listener;
  }

  @PostConstruct
  void init() {
    inserts = new GroupCommit<>(this::insertAll);
    if (listeners != null) {
      List<StoreListener> all = new ArrayList<>();
      listeners.forEach(all::add);
      listener =
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
          };
    }
  }

  /** Whom to tell when jobs whose dependencies are met became pending (this instance's engine). */
  public void whenUnblocked(Runnable listener) {
    this.unblocked = listener == null ? () -> {} : listener;
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
    handBack(owner, List.of("-"), List.of("-"), "-", "-");
    release(owner, List.of("-"));
    extendLeases(owner, List.of("-"), 0);
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
    new Ending("-", JobStatus.FAILED, Dependents.ABANDON).hashCode();
    for (Cause cause : List.of(Cause.SUCCEED, Cause.FAIL, Cause.HAND_BACK)) {
      JobRowUpdate.sql(JobLifecycle.decide(JobStatus.RUNNING, cause, 1, 1), true);
      JobRowUpdate.sql(JobLifecycle.decide(JobStatus.RUNNING, cause, 1, 1), true, true);
    }
    // a run stops canceled only from CANCEL_REQUESTED (from RUNNING the state machine refuses it)
    JobRowUpdate.sql(
        JobLifecycle.decide(JobStatus.CANCEL_REQUESTED, Cause.STOP_CANCELED, 1, 1), true);
  }

  /**
   * The database's wall clock (epoch ms): the time every instance agrees on for leases and due
   * times. H2 is embedded or served from the same machine, whose clock it is.
   */
  public long databaseMillis() throws SQLException {
    if (!isPostgres(null)) {
      return System.currentTimeMillis();
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // ---- creates --------------------------------------------------------------------------------

  static final String INSERT_JOB =
      "INSERT INTO job (id, type, priority, create_at, start_at, last_activity_at, status,"
          + " progress, data, force_run, created_by, attempt, max_attempts, run_after,"
          + " lease_expires_at) VALUES (?, ?, ?, ?, 0, 0, ?, 0, ?, ?, ?, 0, ?, ?, 0)";

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
    try (Connection c = transaction();
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
      counts.apply(c, isPostgres(c));
      c.commit();
      counts.publish(listener);
    }
  }

  static final String INSERT_JOB_FULL =
      "INSERT INTO job (id, type, priority, create_at, start_at, last_activity_at, status,"
          + " progress, data, force_run, created_by, attempt, max_attempts, run_after,"
          + " lease_expires_at, schedule_id, due_at, deps_waiting)"
          + " VALUES (?, ?, ?, ?, 0, 0, ?, 0, ?, ?, ?, 0, ?, ?, 0, ?, ?, ?)";

  /** The ten parameters {@link #INSERT_JOB} and {@link #INSERT_JOB_FULL} begin with, in order. */
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
  }

  private static void bindFull(PreparedStatement ins, Job job, int depsWaiting)
      throws SQLException {
    bindCommon(ins, job);
    ins.setString(11, job.getScheduleId());
    if (job.getDueAt() == null) {
      ins.setNull(12, java.sql.Types.BIGINT);
    } else {
      ins.setLong(12, job.getDueAt());
    }
    ins.setInt(13, depsWaiting);
  }

  /**
   * Stores a new job that depends on other jobs, in its own transaction: the dependencies are
   * locked (so none of them ends unseen while the job is written), the state machine decides
   * whether it starts PENDING (all ended well), BLOCKED (some have not ended) or ABANDONED (one
   * ended failed, canceled or abandoned), and the new job's status is set on {@code job}.
   *
   * @param dependsOn ids of existing jobs, without repeats
   * @throws UnknownDependencyException naming the first id that is no job
   */
  public void insertWaiting(Job job, List<String> dependsOn) throws SQLException {
    retryingDeadlocks(
        () -> {
          insertWaitingOnce(job, dependsOn);
          return null;
        });
  }

  private void insertWaitingOnce(Job job, List<String> dependsOn) throws SQLException {
    try (Connection c = transaction()) {
      Map<String, JobStatus> statuses = new HashMap<>();
      for (List<String> chunk : chunks(new ArrayList<>(new LinkedHashSet<>(dependsOn)))) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, status FROM job WHERE id IN ("
                    + placeholders(chunk.size())
                    + ") ORDER BY id FOR UPDATE")) {
          bind(ps, 1, chunk);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              statuses.put(rs.getString(1), JobStatus.valueOf(rs.getString(2)));
            }
          }
        }
      }
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
      for (List<String> chunk : chunks(dependsOn)) {
        try (PreparedStatement flag =
            c.prepareStatement(
                "UPDATE job SET has_dependents = TRUE WHERE has_dependents = FALSE AND id IN ("
                    + placeholders(chunk.size())
                    + ")")) {
          bind(flag, 1, chunk);
          flag.executeUpdate();
        }
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
      counts.apply(c, isPostgres(c));
      c.commit();
      counts.publish(listener);
    }
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
      counts.apply(c, isPostgres(c));
      return () -> counts.publish(listener);
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

  // ---- what callers ask for -------------------------------------------------------------------

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
    try (Connection c = transaction()) {
      Row row = lock(c, id);
      DependencyState deps = DependencyState.NONE;
      if (cause == Cause.RETRY && ENDED_BADLY.contains(row.status)) {
        deps = dependencyState(c, id);
      }
      Transition t =
          JobLifecycle.decide(row.status, cause, row.attempt, row.maxAttempts, deps.where());
      Statements statements = new Statements(c);
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
      commit(c, statements);
      return t;
    }
  }

  /**
   * Where a job's dependencies stand, read with them locked (so none of them ends unseen while the
   * job's new status is written). A dependency deleted since (a finished one, by retention) no
   * longer holds the job back.
   */
  private DependencyState dependencyState(Connection c, String id) throws SQLException {
    List<String> deps = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT depends_on FROM job_dependency WHERE job_id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          deps.add(rs.getString(1));
        }
      }
    }
    if (deps.isEmpty()) {
      return DependencyState.NONE;
    }
    deps.sort(null);
    Map<String, JobStatus> statuses = new HashMap<>();
    for (List<String> chunk : chunks(deps)) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, status FROM job WHERE id IN ("
                  + placeholders(chunk.size())
                  + ") ORDER BY id FOR UPDATE")) {
        bind(ps, 1, chunk);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            statuses.put(rs.getString(1), JobStatus.valueOf(rs.getString(2)));
          }
        }
      }
    }
    return new DependencyState(statuses);
  }

  /** A job's dependencies and their statuses, and what follows for the job. */
  private static final class DependencyState {
    static final DependencyState NONE = new DependencyState(Map.of());

    private final Map<String, JobStatus> statuses;
    private String failed;
    private int waiting;

    DependencyState(Map<String, JobStatus> statuses) {
      this.statuses = statuses;
      for (Map.Entry<String, JobStatus> e : new java.util.TreeMap<>(statuses).entrySet()) {
        if (ENDED_BADLY.contains(e.getValue())) {
          failed = failed == null ? e.getKey() : failed;
        } else if (!ENDED_WELL.contains(e.getValue())) {
          waiting++;
        }
      }
    }

    Dependencies where() {
      return failed != null
          ? Dependencies.FAILED
          : waiting > 0 ? Dependencies.WAITING : Dependencies.MET;
    }

    String reason() {
      return failed == null ? null : dependencyFailed(failed, statuses.get(failed));
    }

    /** The job waits again: its count of waiting dependencies and which have ended well. */
    void rewrite(Connection c, String id) throws SQLException {
      try (PreparedStatement ps =
          c.prepareStatement("UPDATE job SET deps_waiting = ? WHERE id = ?")) {
        ps.setInt(1, waiting);
        ps.setString(2, id);
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE job_dependency SET met = ? WHERE depends_on = ? AND job_id = ?")) {
        for (Map.Entry<String, JobStatus> e : statuses.entrySet()) {
          ps.setBoolean(1, ENDED_WELL.contains(e.getValue()));
          ps.setString(2, e.getKey());
          ps.setString(3, id);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }

  /** The error of a job that cannot run because a job it depends on ended badly. */
  static String dependencyFailed(String dependency, JobStatus status) {
    return "Job "
        + dependency
        + " that this job depends on ended "
        + status.name().toLowerCase()
        + ".";
  }

  /**
   * Deletes a finished job with its result and events (the foreign keys cascade).
   *
   * @throws IllegalTransitionException if it has not finished
   */
  public void delete(String id) throws SQLException {
    try (Connection c = transaction()) {
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
      counts.apply(c, isPostgres(c));
      c.commit();
    }
  }

  /**
   * Deletes up to {@code batch} finished jobs created before the cutoff, with their results and
   * events (the foreign keys cascade), in one transaction.
   *
   * @return how many were deleted
   */
  public int deleteFinishedBefore(long cutoff, int batch) throws SQLException {
    try (Connection c = transaction()) {
      List<String> ids = new ArrayList<>();
      JobCounts counts = new JobCounts();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, type, status FROM job WHERE create_at < ? AND status IN "
                  + JobReads.FINISHED
                  + " ORDER BY create_at LIMIT ? FOR UPDATE SKIP LOCKED")) {
        ps.setLong(1, cutoff);
        ps.setInt(2, batch);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getString(1));
            counts.deleted(rs.getString(2), JobStatus.valueOf(rs.getString(3)));
          }
        }
      }
      if (!ids.isEmpty()) {
        counts.apply(c, isPostgres(c));
        try (PreparedStatement del =
            c.prepareStatement("DELETE FROM job WHERE id IN (" + placeholders(ids.size()) + ")")) {
          for (int i = 0; i < ids.size(); i++) {
            del.setString(i + 1, ids.get(i));
          }
          del.executeUpdate();
        }
      }
      c.commit();
      return ids.size();
    }
  }

  // ---- the engine -----------------------------------------------------------------------------

  /**
   * Reserves up to {@code limit} PENDING jobs that are due for this instance, highest priority then
   * oldest first, for every type alike, in one statement; rows locked by another instance's claim
   * are skipped, never waited for. A type with a concurrency limit takes part with at most its free
   * slots (a type at its limit is left out, so it never holds back the others, and the others never
   * hold it back). A reservation is no status change: the job stays PENDING to every reader, with
   * no event, until a worker starts it ({@link #record}); a reservation whose lease expires (its
   * instance died or gave it up) is free to be taken again.
   *
   * @param limited the types with a concurrency limit, each with its free slots on this instance
   *     (0: none now, the type is not claimed)
   * @param excludedIds jobs not to claim (an earlier run of theirs is still alive here)
   * @return the reserved jobs, in claim order, each with the attempt its run will be
   */
  public List<ClaimedJob> reserve(
      String owner,
      int limit,
      long now,
      long leaseUntil,
      Map<String, Integer> limited,
      Collection<String> excludedIds)
      throws SQLException {
    // One branch for the types without a limit and one per limited type with free slots, each
    // taking its best rows (SKIP LOCKED); the merge keeps the best {@code limit} of them all.
    List<Object> params = new ArrayList<>();
    List<String> branches = new ArrayList<>();
    branches.add(
        claimBranch(" AND type NOT IN (" + placeholders(Math.max(1, limited.size())) + ")"));
    params.add(now);
    params.add(now);
    if (limited.isEmpty()) {
      params.add("");
    } else {
      params.addAll(limited.keySet());
    }
    params.addAll(excludedIds);
    params.add(limit);
    for (Map.Entry<String, Integer> type : limited.entrySet()) {
      if (type.getValue() <= 0) {
        continue;
      }
      branches.add(claimBranch(" AND type = ?"));
      params.add(now);
      params.add(now);
      params.add(type.getKey());
      params.addAll(excludedIds);
      params.add(Math.min(limit, type.getValue()));
    }
    String excluded =
        excludedIds.isEmpty() ? "" : " AND id NOT IN (" + placeholders(excludedIds.size()) + ")";
    StringBuilder union = new StringBuilder();
    for (String b : branches) {
      union.append(union.length() == 0 ? "" : " UNION ALL ").append(b.replace("#EXCL#", excluded));
    }
    String select =
        "SELECT id FROM (" + union + ") claimable ORDER BY priority DESC, create_at, id LIMIT ?";
    params.add(limit);
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
        for (Object p : params) {
          ps.setObject(i++, p);
        }
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
   * One branch of the claim: the due, unreserved PENDING rows matching {@code filter}, best first,
   * locked unless another claim holds them. Binds: now, now, the filter's values, the excluded ids
   * (at {@code #EXCL#}), the limit.
   */
  private static String claimBranch(String filter) {
    return "SELECT id, priority, create_at FROM (SELECT id, priority, create_at FROM job"
        + " WHERE status = 'PENDING' AND run_after <= ? AND lease_expires_at < ?"
        + filter
        + "#EXCL#"
        + " ORDER BY priority DESC, create_at, id LIMIT ? FOR UPDATE SKIP LOCKED) b";
  }

  /**
   * Gives up this instance's hold on jobs it no longer runs: reservations it will not start (no
   * worker was free in time, the instance stops, an earlier run of the job is still alive here),
   * and jobs whose stopped run's thread has returned (their outcome was written with the lease
   * kept). A job still running under this instance's lease is not touched; nothing else changes and
   * no event is written.
   *
   * @return how many jobs were let go
   */
  public int release(String owner, Collection<String> ids) throws SQLException {
    int released = 0;
    for (List<String> chunk : chunks(new ArrayList<>(ids))) {
      try (Connection c = dataSource.getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE job SET lease_owner = NULL, lease_expires_at = 0 WHERE lease_owner = ?"
                      + " AND status NOT IN "
                      + RUNNING_STATES
                      + " AND id IN ("
                      + placeholders(chunk.size())
                      + ")")) {
        ps.setString(1, owner);
        bind(ps, 2, chunk);
        released += ps.executeUpdate();
      }
    }
    return released;
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
    return retryingDeadlocks(() -> recordOnce(owner, starts, ends, actor));
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
    try (Connection c = transaction()) {
      Statements statements = new Statements(c);
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
    return retryingDeadlocks(() -> finishOnce(owner, outcomes, actor));
  }

  private int finishOnce(String owner, List<RunOutcome> outcomes, String actor)
      throws SQLException {
    try (Connection c = transaction()) {
      Statements statements = new Statements(c);
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

  /**
   * Extends the leases of the jobs this instance holds, by id: its runs (also those stopped whose
   * thread has not returned) and the jobs whose start or outcome it has still to write. A
   * reservation nobody holds any more (a claim whose commit was lost, a release that failed) is not
   * among them and expires.
   */
  public int extendLeases(String owner, Collection<String> ids, long leaseUntil)
      throws SQLException {
    int extended = 0;
    for (List<String> chunk : chunks(new ArrayList<>(ids))) {
      try (Connection c = dataSource.getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE job SET lease_expires_at = ? WHERE lease_owner = ? AND id IN ("
                      + placeholders(chunk.size())
                      + ")")) {
        ps.setLong(1, leaseUntil);
        ps.setString(2, owner);
        bind(ps, 3, chunk);
        extended += ps.executeUpdate();
      }
    }
    return extended;
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
    return retryingDeadlocks(() -> recoverExpiredOnce(now, limit, actor));
  }

  private int recoverExpiredOnce(long now, int limit, String actor) throws SQLException {
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
      Statements statements = new Statements(c);
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
  public int handBack(
      String owner, Collection<String> ids, Collection<String> alive, String actor, String reason)
      throws SQLException {
    if (ids.isEmpty()) {
      return 0;
    }
    return retryingDeadlocks(() -> handBackOnce(owner, ids, alive, actor, reason));
  }

  private int handBackOnce(
      String owner, Collection<String> ids, Collection<String> alive, String actor, String reason)
      throws SQLException {
    long now = System.currentTimeMillis();
    try (Connection c = transaction()) {
      Map<String, Row> rows = lockAll(c, ids, false);
      Statements statements = new Statements(c);
      int handed = 0;
      List<String> reserved = new ArrayList<>();
      for (Row row : rows.values()) {
        if (!owner.equals(row.leaseOwner)) {
          continue;
        }
        if (row.status == JobStatus.PENDING) {
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
        JobRowUpdate.Values v = new JobRowUpdate.Values(now);
        v.keepLease = alive.contains(row.id); // its thread has not returned: see RunOutcome
        JobRowUpdate.add(statements.get(JobRowUpdate.sql(t, false, v.keepLease)), row.id, t, v);
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

  /** The job's data after a change: the run's keys added, the error set or cleared. */
  private static String mergedData(
      String currentJson, Map<String, String> added, Transition t, String error) {
    Map<String, String> data = new LinkedHashMap<>(JobData.fromJson(currentJson));
    data.putAll(added);
    if (t.error() == JobLifecycle.Error.CLEAR) {
      data.remove("error"); // an earlier attempt's failure; it stays in the events and traces
    } else if (error != null) {
      data.put("error", error);
    }
    return JobData.toJson(data);
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

  private static Row lock(Connection c, String id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + Row.COLUMNS + ", data, stacktrace FROM job WHERE id = ? FOR UPDATE")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new JobNotFoundException(id);
        }
        return Row.read(rs, true);
      }
    }
  }

  private static Map<String, Row> lockAll(Connection c, Collection<String> ids, boolean withData)
      throws SQLException {
    Map<String, Row> rows = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Row.COLUMNS
                + (withData ? ", data, stacktrace" : "")
                + " FROM job WHERE id IN ("
                + placeholders(ids.size())
                + ") FOR UPDATE")) {
      int i = 1;
      for (String id : ids) {
        ps.setString(i++, id);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Row row = Row.read(rs, withData);
          rows.put(row.id, row);
        }
      }
    }
    return rows;
  }

  /** A job's columns that decisions are made on. */
  private static final class Row {
    static final String COLUMNS =
        "id, status, lease_owner, attempt, max_attempts, type, start_at, has_dependents,"
            + " deps_waiting";
    String id;
    JobStatus status;
    String leaseOwner;
    int attempt;
    int maxAttempts;
    String type;
    long startAt;
    boolean hasDependents;
    int depsWaiting;
    String data;
    String stacktrace;

    static Row read(ResultSet rs, boolean withData) throws SQLException {
      Row r = new Row();
      r.id = rs.getString(1);
      r.status = JobStatus.valueOf(rs.getString(2));
      r.leaseOwner = rs.getString(3);
      r.attempt = rs.getInt(4);
      r.maxAttempts = rs.getInt(5);
      r.type = rs.getString(6);
      r.startAt = rs.getLong(7);
      r.hasDependents = rs.getBoolean(8);
      r.depsWaiting = rs.getInt(9);
      if (withData) {
        r.data = rs.getString(10);
        r.stacktrace = rs.getString(11);
      }
      return r;
    }
  }

  /**
   * The batched statements of one transaction: one per shape of update (the same decided change
   * always makes the same SQL), result discards and events, executed together at the end.
   */
  private final class Statements {
    private final Connection c;
    final JobCounts counts = new JobCounts();
    private final Map<String, PreparedStatement> updates = new LinkedHashMap<>();
    private PreparedStatement discards;
    private PreparedStatement events;

    Statements(Connection c) {
      this.c = c;
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
     * Executes the updates added so far, returning each statement's counts by its SQL; a later
     * {@link #get} of the same SQL makes a new statement.
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

    /** Jobs whose change concerns their dependents, level by level (see {@link #resolve}). */
    private final Map<String, Ending> endings = new LinkedHashMap<>();

    /** Whether blocked jobs became pending here (the dispatcher is told after the commit). */
    boolean unblockedAny;

    /**
     * Notes a change that may concern the job's dependents (the state machine says so: it ended
     * well, or badly); they are dealt with in {@link #executeAll}, in this transaction.
     *
     * @param hasDependents the job's flag as read under its lock
     */
    void ended(String id, Transition t, boolean hasDependents) {
      if (t.changes() && t.dependents() != Dependents.NONE && hasDependents) {
        endings.put(id, new Ending(id, t.to(), t.dependents()));
      }
    }

    /**
     * Applies what the endings imply for the jobs that depend on them, level by level: a BLOCKED
     * dependent (locked, in id order) counts off the dependencies that ended well, once each, and
     * becomes PENDING when none is left waiting; one whose dependency ended badly is ABANDONED, and
     * so are its own blocked dependents, transitively. Each change as the state machine decides it,
     * with its event by {@code dependency:<id>} and its counts.
     */
    private void resolve() throws SQLException {
      Map<String, Ending> level = new LinkedHashMap<>(endings);
      endings.clear();
      long now = System.currentTimeMillis();
      while (!level.isEmpty()) {
        // dependent -> the edges of this level that lead to it: {depends_on, met}
        Map<String, List<String[]>> edges = new LinkedHashMap<>();
        for (List<String> chunk : chunks(new ArrayList<>(level.keySet()))) {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT depends_on, job_id, met FROM job_dependency WHERE depends_on IN ("
                      + placeholders(chunk.size())
                      + ")")) {
            bind(ps, 1, chunk);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                edges
                    .computeIfAbsent(rs.getString(2), k -> new ArrayList<>())
                    .add(new String[] {rs.getString(1), rs.getBoolean(3) ? "1" : "0"});
              }
            }
          }
        }
        Map<String, Ending> next = new LinkedHashMap<>();
        List<Row> blocked = lockBlocked(new ArrayList<>(edges.keySet()));
        try (PreparedStatement met =
                c.prepareStatement(
                    "UPDATE job_dependency SET met = TRUE"
                        + " WHERE depends_on = ? AND job_id = ? AND met = FALSE");
            PreparedStatement waiting =
                c.prepareStatement("UPDATE job SET deps_waiting = ? WHERE id = ?")) {
          List<Row> counting = new ArrayList<>();
          // the row each entry of the `met` batch counts for: its update count is that row's
          List<Row> metFor = new ArrayList<>();
          Map<String, String> unblockedBy = new HashMap<>();
          for (Row row : blocked) {
            String failedDep = null;
            List<String> endedWell = new ArrayList<>();
            for (String[] edge : edges.get(row.id)) {
              Ending ending = level.get(edge[0]);
              if (ending.what() == Dependents.ABANDON) {
                failedDep = failedDep == null ? edge[0] : failedDep;
              } else if (edge[1].equals("0")) {
                endedWell.add(edge[0]);
              }
            }
            if (failedDep != null) {
              Transition t =
                  JobLifecycle.decide(
                      row.status, Cause.DEPENDENCY_FAILED, row.attempt, row.maxAttempts);
              String error = dependencyFailed(failedDep, level.get(failedDep).to());
              JobRowUpdate.Values v = new JobRowUpdate.Values(now);
              v.data = mergedData(row.data, Map.of(), t, error);
              v.stacktrace = row.stacktrace;
              JobRowUpdate.add(get(JobRowUpdate.sql(t, true)), row.id, t, v);
              event(row.id, now, "dependency:" + failedDep, t.from(), t.to(), error);
              count(row.type, t, now, row.startAt);
              if (row.hasDependents) {
                next.put(row.id, new Ending(row.id, t.to(), t.dependents()));
              }
            } else if (!endedWell.isEmpty()) {
              for (String dep : endedWell) {
                met.setString(1, dep);
                met.setString(2, row.id);
                met.addBatch();
                metFor.add(row);
              }
              counting.add(row);
              unblockedBy.put(row.id, endedWell.get(endedWell.size() - 1));
            }
          }
          int[] applied = met.executeBatch();
          // a dependency counts once, even if it ends well again (forced back and run again)
          Map<String, Integer> counted = new HashMap<>();
          for (int k = 0; k < metFor.size(); k++) {
            if (k >= applied.length || applied[k] != 0) {
              counted.merge(metFor.get(k).id, 1, Integer::sum);
            }
          }
          for (Row row : counting) {
            int left = Math.max(0, row.depsWaiting - counted.getOrDefault(row.id, 0));
            waiting.setInt(1, left);
            waiting.setString(2, row.id);
            waiting.addBatch();
            if (left == 0) {
              Transition t =
                  JobLifecycle.decide(
                      row.status, Cause.DEPENDENCIES_MET, row.attempt, row.maxAttempts);
              JobRowUpdate.add(
                  get(JobRowUpdate.sql(t, false)), row.id, t, new JobRowUpdate.Values(now));
              event(
                  row.id,
                  now,
                  "dependency:" + unblockedBy.get(row.id),
                  t.from(),
                  t.to(),
                  "every job it depends on has ended well");
              count(row.type, t, now, row.startAt);
              unblockedAny = true;
            }
          }
          waiting.executeBatch();
        }
        executeUpdates();
        level = next;
      }
    }

    /** Of these jobs, the BLOCKED ones, locked in id order (others have nothing to wait for). */
    private List<Row> lockBlocked(List<String> ids) throws SQLException {
      List<Row> rows = new ArrayList<>();
      ids.sort(null);
      for (List<String> chunk : chunks(ids)) {
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT "
                    + Row.COLUMNS
                    + ", data, stacktrace FROM job WHERE status = 'BLOCKED' AND id IN ("
                    + placeholders(chunk.size())
                    + ") ORDER BY id FOR UPDATE")) {
          bind(ps, 1, chunk);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              Row row = Row.read(rs, true);
              if (row.status == JobStatus.BLOCKED) {
                rows.add(row);
              }
            }
          }
        }
      }
      return rows;
    }

    /** Counts a decided change (and, if the job finished, its run) for stats and metrics. */
    void count(String type, Transition t, long now, long startAt) {
      counts.changed(type, t.from(), t.to());
      if (t.to().isFinished() && !t.from().isFinished()) {
        boolean ran = t.from() == JobStatus.RUNNING || t.from() == JobStatus.CANCEL_REQUESTED;
        counts.runEnded(type, t.to(), now, ran && startAt > 0 ? now - startAt : -1);
      }
    }

    void executeAll() throws SQLException {
      try {
        executeUpdates();
        resolve();
        counts.apply(c, isPostgres(c));
        if (discards != null) {
          discards.executeBatch();
        }
        if (events != null) {
          events.executeBatch();
        }
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

  /** A job's change that its dependents are to hear of. */
  private record Ending(String id, JobStatus to, Dependents what) {}

  /**
   * Commits, then tells the listener (metrics) what the transaction did, and this instance's engine
   * if blocked jobs became pending.
   */
  private void commit(Connection c, Statements statements) throws SQLException {
    c.commit();
    statements.counts.publish(listener);
    if (statements.unblockedAny) {
      unblocked.run();
    }
  }

  /** Work in one transaction, done again if the database broke a deadlock by aborting it. */
  interface SqlWork<T> {
    T run() throws SQLException;
  }

  /**
   * Runs the work, again (up to {@link #DEADLOCK_ATTEMPTS} times in all) when the database aborted
   * it to break a deadlock: two endings whose dependents overlap across levels may lock them in
   * opposite orders. Every write path of the store goes through here, so a deadlock never changes
   * an outcome; what is still deadlocked after that is reported as transient to the caller.
   */
  static <T> T retryingDeadlocks(SqlWork<T> work) throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        return work.run();
      } catch (SQLException e) {
        if (attempt >= DEADLOCK_ATTEMPTS || !isDeadlock(e)) {
          throw e;
        }
        try {
          // apart a little, so that the two transactions do not meet again at once
          Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(1, 5 * attempt));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** How often a transaction the database aborted for a deadlock is tried in all. */
  static final int DEADLOCK_ATTEMPTS = 5;

  /** Whether the database aborted the transaction to break a deadlock or a serialization cycle. */
  public static boolean isDeadlock(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql
          && ("40P01".equals(sql.getSQLState()) || "40001".equals(sql.getSQLState()))) {
        return true;
      }
    }
    return false;
  }

  static List<List<String>> chunks(List<String> ids) {
    List<List<String>> out = new ArrayList<>();
    for (int i = 0; i < ids.size(); i += IN_CHUNK) {
      out.add(ids.subList(i, Math.min(ids.size(), i + IN_CHUNK)));
    }
    return out;
  }

  static void bind(PreparedStatement ps, int from, Collection<String> values) throws SQLException {
    int i = from;
    for (String v : values) {
      ps.setString(i++, v);
    }
  }

  private Connection transaction() throws SQLException {
    Connection c = dataSource.getConnection();
    try {
      c.setAutoCommit(false);
      isPostgres(c);
      return new RollbackOnClose(c).proxy();
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private boolean isPostgres(Connection c) throws SQLException {
    Boolean p = postgres;
    if (p == null) {
      try (Connection own = c == null ? dataSource.getConnection() : null) {
        Connection use = c == null ? own : c;
        p = use.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres");
      }
      postgres = p;
    }
    return p;
  }

  static String placeholders(int n) {
    return String.join(", ", Collections.nCopies(n, "?"));
  }
}
