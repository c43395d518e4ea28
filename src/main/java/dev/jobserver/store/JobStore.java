package dev.jobserver.store;

import dev.jobserver.database.ConfiguredDataSource;
import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.IllegalTransitionException;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobData;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobNotFoundException;
import dev.jobserver.job.JobStatus;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  private volatile Boolean postgres;
  private GroupCommit<Job> inserts;

  public JobStore() {}

  JobStore(DataSource dataSource) {
    this.dataSource = dataSource;
    init();
  }

  @PostConstruct
  void init() {
    inserts = new GroupCommit<>(this::insertAll);
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
    finish(
        owner,
        List.of(new RunOutcome("-", 0, Cause.FAIL, 0, Map.of("k", "v"), "-", "-", 0, "-")),
        "-");
    progress(owner, List.of(new ProgressUpdate("-", 0, 0, 0)));
    for (Cause cause : List.of(Cause.SUCCEED, Cause.FAIL, Cause.HAND_BACK, Cause.STOP_CANCELED)) {
      JobRowUpdate.sql(JobLifecycle.decide(JobStatus.RUNNING, cause, 1, 1), true);
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
      c.commit();
    }
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
    long now = System.currentTimeMillis();
    try (Connection c = transaction()) {
      Row row = lock(c, id);
      Transition t = JobLifecycle.decide(row.status, cause, row.attempt, row.maxAttempts);
      if (t.changes()) {
        JobRowUpdate.Values v = new JobRowUpdate.Values(now);
        v.budget = budget.applyAsInt(row.type);
        apply(c, id, t, v, row, message, null);
        try (PreparedStatement ev = c.prepareStatement(JobEventStore.INSERT)) {
          JobEventStore.add(ev, id, now, actor, t.from(), t.to(), message);
          ev.executeBatch();
        }
      }
      c.commit();
      return t;
    }
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
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id FROM job WHERE create_at < ? AND status IN "
                  + JobReads.FINISHED
                  + " ORDER BY create_at LIMIT ? FOR UPDATE SKIP LOCKED")) {
        ps.setLong(1, cutoff);
        ps.setInt(2, batch);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getString(1));
          }
        }
      }
      if (!ids.isEmpty()) {
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
   * Claims up to {@code limit} PENDING jobs that are due, highest priority then oldest first, in
   * one statement; jobs locked by another instance's claim are skipped, never waited for. The state
   * machine's START change (status RUNNING, one more attempt, start_at now, progress 0) is applied
   * to all of them at once.
   */
  public List<ClaimedJob> claim(
      String owner, int limit, long leaseUntil, Collection<String> excludedTypes, String actor)
      throws SQLException {
    long now = System.currentTimeMillis();
    StringBuilder select =
        new StringBuilder("SELECT id FROM job WHERE status = 'PENDING' AND run_after <= ?");
    if (!excludedTypes.isEmpty()) {
      select.append(" AND type NOT IN (").append(placeholders(excludedTypes.size())).append(')');
    }
    select.append(" ORDER BY priority DESC, create_at, id LIMIT ? FOR UPDATE SKIP LOCKED");
    String update =
        "UPDATE job SET status = 'RUNNING', lease_owner = ?, lease_expires_at = ?,"
            + " attempt = attempt + 1, start_at = ?, last_activity_at = ?, progress = 0"
            + " WHERE id IN ("
            + select
            + ")";
    String sql =
        isPostgres(null)
            ? update + " RETURNING id, type, data, attempt, priority, create_at"
            : "SELECT id, type, data, attempt, priority, create_at FROM FINAL TABLE ("
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
        ps.setLong(i++, now);
        for (String type : excludedTypes) {
          ps.setString(i++, type);
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
                      rs.getInt(4)),
                  rs.getInt(5),
                  rs.getLong(6)
                });
          }
        }
      }
      // RETURNING and FINAL TABLE do not keep the subquery's order: start them in claim order
      rows.sort(
          Comparator.<Object[]>comparingInt(r -> -(int) r[1])
              .thenComparingLong(r -> (long) r[2])
              .thenComparing(r -> ((ClaimedJob) r[0]).id()));
      List<ClaimedJob> claimed = new ArrayList<>(rows.size());
      rows.forEach(r -> claimed.add((ClaimedJob) r[0]));
      if (!claimed.isEmpty()) {
        try (PreparedStatement ev = c.prepareStatement(JobEventStore.INSERT)) {
          for (ClaimedJob job : claimed) {
            JobEventStore.add(
                ev,
                job.id(),
                now,
                actor,
                JobStatus.PENDING,
                JobStatus.RUNNING,
                job.attempt() > 1 ? "attempt " + job.attempt() : null);
          }
          ev.executeBatch();
        }
      }
      c.commit();
      return claimed;
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
    long now = System.currentTimeMillis();
    Map<String, RunOutcome> byId = new LinkedHashMap<>();
    for (RunOutcome o : outcomes) {
      byId.put(o.jobId(), o);
    }
    try (Connection c = transaction()) {
      boolean needsData = outcomes.stream().anyMatch(o -> !o.data().isEmpty() || o.error() != null);
      Map<String, Row> current = lockAll(c, byId.keySet(), needsData);
      Statements statements = new Statements(c);
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
        changed++;
      }
      statements.executeAll();
      c.commit();
      return changed;
    }
  }

  /** Extends the leases of every job this instance runs, in one statement. */
  public int extendLeases(String owner, long leaseUntil) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE job SET lease_expires_at = ? WHERE lease_owner = ? AND status IN "
                    + RUNNING_STATES)) {
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
      }
      statements.executeAll();
      c.commit();
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
      Statements statements = new Statements(c);
      int handed = 0;
      for (Row row : rows.values()) {
        if (!owner.equals(row.leaseOwner)) {
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
        handed++;
      }
      statements.executeAll();
      c.commit();
      return handed;
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

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

  /** Applies one decided change to one job (outside the batched paths). */
  private static void apply(
      Connection c,
      String id,
      Transition t,
      JobRowUpdate.Values v,
      Row row,
      String message,
      String error)
      throws SQLException {
    boolean rewrites = error != null;
    if (rewrites) {
      v.data = mergedData(row.data, Map.of(), t, error);
      v.stacktrace = row.stacktrace;
    }
    try (PreparedStatement up = c.prepareStatement(JobRowUpdate.sql(t, rewrites))) {
      JobRowUpdate.add(up, id, t, v);
      up.executeBatch();
    }
    if (t.result() == JobLifecycle.Result.DISCARD) {
      try (PreparedStatement del = c.prepareStatement(ResultStore.DISCARD)) {
        del.setString(1, id);
        del.executeUpdate();
      }
    }
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
    static final String COLUMNS = "id, status, lease_owner, attempt, max_attempts, type";
    String id;
    JobStatus status;
    String leaseOwner;
    int attempt;
    int maxAttempts;
    String type;
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
      if (withData) {
        r.data = rs.getString(7);
        r.stacktrace = rs.getString(8);
      }
      return r;
    }
  }

  /**
   * The batched statements of one transaction: one per shape of update (the same decided change
   * always makes the same SQL), result discards and events, executed together at the end.
   */
  private static final class Statements {
    private final Connection c;
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

    void executeAll() throws SQLException {
      try {
        for (PreparedStatement ps : updates.values()) {
          ps.executeBatch();
        }
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
