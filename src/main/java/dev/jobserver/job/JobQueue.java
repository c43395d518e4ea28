package dev.jobserver.job;

import dev.jobserver.database.ConfiguredDataSource;
import dev.jobserver.database.JobserverDataSource;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * The engine's side of the job table: the status changes the engine makes (claim, finish, recover,
 * hand back), each a few batched statements in one local transaction, with their job events. Called
 * only from engine threads, never inside a container transaction.
 */
@ApplicationScoped
public class JobQueue {

  static final String RUNNING_STATES = "('RUNNING', 'CANCEL_REQUESTED')";

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  private volatile Boolean postgres;

  public JobQueue() {}

  JobQueue(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * A queue on direct, unpooled connections. When the server stops, the container destroys the
   * application's pool before the engine's shutdown runs; this is how the engine still records
   * outcomes and hands jobs back then.
   */
  public static JobQueue direct() {
    return new JobQueue(new ConfiguredDataSource());
  }

  /**
   * Loads every class these statements use and opens one connection, so that they still work when
   * the application's class loader has been closed (the server is stopping; see JobEngine).
   */
  public void warmUp(String owner) throws SQLException {
    JobEvents.truncate("");
    JobData.fromJson(JobData.toJson(Map.of("k", "v")));
    JobData.listFromJson(JobData.listToJson(List.of("x")));
    new RunState("-", JobStatus.RUNNING, owner, 0).hashCode();
    handBack(owner, List.of("-"), "-", "-");
    finish(
        owner,
        List.of(new RunOutcome("-", 0, JobStatus.PENDING, 0, Map.of("k", "v"), "-", "-", 0, "-")),
        "-");
    progress(owner, List.of(new ProgressUpdate("-", 0, 0, 0)));
    try (Connection c = transaction()) {
      try (PreparedStatement up = c.prepareStatement(END_PLAIN)) {
        addPlainEnd(up, "-", JobStatus.COMPLETED, 100, 0, 0);
        up.executeBatch();
      }
      c.rollback();
    }
  }

  static final String INSERT_JOB =
      "INSERT INTO job (id, type, priority, create_at, start_at, last_activity_at, status,"
          + " progress, data, force_run, created_by, attempt, max_attempts, run_after,"
          + " lease_expires_at, version) VALUES (?, ?, ?, ?, 0, 0, 'PENDING', 0, ?, ?, ?, 0, ?, 0,"
          + " 0, 1)";

  /**
   * Stores new PENDING jobs, each with its "created" event (the actor is the job's creator), in one
   * local transaction: two batched statements (multi-row inserts on PostgreSQL), the hot path of
   * every create request (JPA's persist and flush inside a container transaction cost several times
   * as much; see README, Performance). The version starts at 1, as JPA's would.
   */
  public void insert(List<Job> jobs) throws SQLException {
    try (Connection c = transaction();
        PreparedStatement ins = c.prepareStatement(INSERT_JOB);
        PreparedStatement ev = c.prepareStatement(JobEvents.INSERT)) {
      for (Job job : jobs) {
        ins.setString(1, job.getId());
        ins.setString(2, job.getType());
        ins.setInt(3, job.getPriority());
        ins.setLong(4, job.getCreateAt());
        ins.setString(5, job.dataJson());
        ins.setBoolean(6, job.isForce());
        ins.setString(7, job.getCreatedBy());
        ins.setInt(8, job.getMaxAttempts());
        ins.addBatch();
        addEvent(
            ev,
            job.getId(),
            job.getCreateAt(),
            job.getCreatedBy() == null ? "anonymous" : job.getCreatedBy(),
            null,
            JobStatus.PENDING,
            "created");
      }
      ins.executeBatch();
      ev.executeBatch();
      c.commit();
    }
  }

  /**
   * Claims up to {@code limit} PENDING jobs that are due, highest priority then oldest first, in
   * one statement; jobs locked by another instance's claim are skipped, never waited for.
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
            + " attempt = attempt + 1, start_at = ?, last_activity_at = ?, progress = 0,"
            + " version = version + 1 WHERE id IN ("
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
        try (PreparedStatement ev = c.prepareStatement(JobEvents.INSERT)) {
          for (ClaimedJob job : claimed) {
            addEvent(
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
   * Records how runs ended. A run whose job was meanwhile asked to cancel ends CANCELED whatever it
   * returned; a run that no longer owns its job (requeued, recovered elsewhere) changes nothing.
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
      Map<String, Object[]> current = new HashMap<>();
      boolean needsData = outcomes.stream().anyMatch(JobQueue::rewritesData);
      String sql =
          "SELECT id, status, lease_owner, attempt"
              + (needsData ? ", data, stacktrace" : "")
              + " FROM job WHERE id IN ("
              + placeholders(byId.size())
              + ") FOR UPDATE";
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int i = 1;
        for (String id : byId.keySet()) {
          ps.setString(i++, id);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            current.put(
                rs.getString(1),
                new Object[] {
                  rs.getString(2),
                  rs.getString(3),
                  rs.getInt(4),
                  needsData ? rs.getString(5) : null,
                  needsData ? rs.getString(6) : null
                });
          }
        }
      }
      int changed = 0;
      try (PreparedStatement up = c.prepareStatement(END_PLAIN);
          PreparedStatement upData =
              c.prepareStatement(
                  "UPDATE job SET status = ?, progress = ?, last_activity_at = ?, run_after = ?,"
                      + " lease_owner = NULL, lease_expires_at = 0, version = version + 1,"
                      + " data = ?, stacktrace = ? WHERE id = ?");
          PreparedStatement ev = c.prepareStatement(JobEvents.INSERT)) {
        boolean withPlain = false;
        boolean withData = false;
        for (RunOutcome o : byId.values()) {
          Object[] row = current.get(o.jobId());
          if (row == null) {
            continue; // deleted meanwhile
          }
          JobStatus status = JobStatus.valueOf((String) row[0]);
          if (!owner.equals(row[1])
              || (int) row[2] != o.attempt()
              || (status != JobStatus.RUNNING && status != JobStatus.CANCEL_REQUESTED)) {
            continue;
          }
          RunOutcome effective = o;
          if (status == JobStatus.CANCEL_REQUESTED && o.status() != JobStatus.CANCELED) {
            effective =
                new RunOutcome(
                    o.jobId(),
                    o.attempt(),
                    JobStatus.CANCELED,
                    o.progress(),
                    Map.of(),
                    null,
                    null,
                    0,
                    "canceled on request");
          }
          int progress = effective.status() == JobStatus.FAILED ? -1 : effective.progress();
          if (!rewritesData(effective)) {
            addPlainEnd(up, o.jobId(), effective.status(), progress, now, effective.runAfter());
            withPlain = true;
          } else {
            Map<String, String> data = new LinkedHashMap<>(JobData.fromJson((String) row[3]));
            data.putAll(effective.data());
            List<String> traces = new ArrayList<>(JobData.listFromJson((String) row[4]));
            if (effective.status() == JobStatus.COMPLETED
                || effective.status() == JobStatus.WARNING) {
              data.remove(
                  "error"); // an earlier attempt's failure; it stays in the events and traces
            }
            if (effective.error() != null) {
              data.put("error", effective.error());
              if (effective.stacktrace() != null) {
                traces.add(effective.stacktrace());
              }
            }
            upData.setString(1, effective.status().name());
            upData.setInt(2, progress);
            upData.setLong(3, now);
            upData.setLong(4, effective.runAfter());
            upData.setString(5, JobData.toJson(data));
            if (traces.isEmpty()) {
              upData.setNull(6, Types.VARCHAR);
            } else {
              upData.setString(6, JobData.listToJson(traces));
            }
            upData.setString(7, o.jobId());
            upData.addBatch();
            withData = true;
          }
          addEvent(
              ev,
              o.jobId(),
              now,
              actor,
              status,
              effective.status(),
              effective.message() != null ? effective.message() : effective.error());
          changed++;
        }
        if (withPlain) {
          up.executeBatch();
        }
        if (withData) {
          upData.executeBatch();
        }
        if (changed > 0) {
          ev.executeBatch();
        }
      }
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
                "UPDATE job SET progress = ?, last_activity_at = ?, version = version + 1"
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
   * Recovers jobs whose instance stopped renewing their lease: back to PENDING while attempts
   * remain, else FAILED; a job that was being canceled ends CANCELED.
   *
   * @return how many jobs were recovered
   */
  public int recoverExpired(long now, int limit, String actor) throws SQLException {
    try (Connection c = transaction()) {
      List<Object[]> expired = new ArrayList<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, status, attempt, max_attempts, lease_owner, data FROM job WHERE status IN "
                  + RUNNING_STATES
                  + " AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?"
                  + " FOR UPDATE SKIP LOCKED")) {
        ps.setLong(1, now);
        ps.setInt(2, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            expired.add(
                new Object[] {
                  rs.getString(1),
                  rs.getString(2),
                  rs.getInt(3),
                  rs.getInt(4),
                  rs.getString(5),
                  rs.getString(6)
                });
          }
        }
      }
      if (expired.isEmpty()) {
        c.rollback();
        return 0;
      }
      try (PreparedStatement up =
              c.prepareStatement(
                  "UPDATE job SET status = ?, progress = ?, data = ?, last_activity_at = ?,"
                      + " lease_owner = NULL, lease_expires_at = 0, version = version + 1"
                      + " WHERE id = ?");
          PreparedStatement ev = c.prepareStatement(JobEvents.INSERT)) {
        for (Object[] row : expired) {
          String id = (String) row[0];
          JobStatus from = JobStatus.valueOf((String) row[1]);
          int attempt = (int) row[2];
          int maxAttempts = (int) row[3];
          Map<String, String> data = new LinkedHashMap<>(JobData.fromJson((String) row[5]));
          JobStatus to;
          String message;
          if (from == JobStatus.CANCEL_REQUESTED) {
            to = JobStatus.CANCELED;
            message = "canceled: the instance running it (" + row[4] + ") stopped responding";
          } else if (attempt <= maxAttempts) {
            // An instance's death is not the job's failure: it may run once beyond its attempts.
            // A job that takes its instance down again fails.
            to = JobStatus.PENDING;
            message = "requeued: the instance running it (" + row[4] + ") stopped responding";
          } else {
            to = JobStatus.FAILED;
            message =
                "The instance running this job ("
                    + row[4]
                    + ") stopped responding and the job has no attempts left ("
                    + attempt
                    + " runs for "
                    + maxAttempts
                    + " attempts and one lost instance).";
            data.put("error", message);
          }
          up.setString(1, to.name());
          up.setInt(2, to == JobStatus.FAILED ? -1 : 0);
          up.setString(3, JobData.toJson(data));
          up.setLong(4, now);
          up.setString(5, id);
          up.addBatch();
          addEvent(ev, id, now, actor, from, to, message);
        }
        up.executeBatch();
        ev.executeBatch();
      }
      c.commit();
      return expired.size();
    }
  }

  /**
   * Gives jobs back that this instance claimed but will not finish (it is shutting down, or claimed
   * more of a type than it may run): RUNNING ones become PENDING without using up an attempt.
   */
  public int handBack(String owner, Collection<String> ids, String actor, String reason)
      throws SQLException {
    if (ids.isEmpty()) {
      return 0;
    }
    long now = System.currentTimeMillis();
    try (Connection c = transaction()) {
      Map<String, JobStatus> statuses = new HashMap<>();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, status FROM job WHERE lease_owner = ? AND status IN "
                  + RUNNING_STATES
                  + " AND id IN ("
                  + placeholders(ids.size())
                  + ") FOR UPDATE")) {
        int i = 1;
        ps.setString(i++, owner);
        for (String id : ids) {
          ps.setString(i++, id);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            statuses.put(rs.getString(1), JobStatus.valueOf(rs.getString(2)));
          }
        }
      }
      try (PreparedStatement up =
              c.prepareStatement(
                  "UPDATE job SET status = ?, attempt = CASE WHEN ? THEN attempt - 1 ELSE attempt END,"
                      + " progress = 0, last_activity_at = ?, lease_owner = NULL,"
                      + " lease_expires_at = 0, version = version + 1 WHERE id = ?");
          PreparedStatement ev = c.prepareStatement(JobEvents.INSERT)) {
        for (Map.Entry<String, JobStatus> e : statuses.entrySet()) {
          JobStatus to =
              e.getValue() == JobStatus.CANCEL_REQUESTED ? JobStatus.CANCELED : JobStatus.PENDING;
          up.setString(1, to.name());
          up.setBoolean(2, to == JobStatus.PENDING);
          up.setLong(3, now);
          up.setString(4, e.getKey());
          up.addBatch();
          addEvent(ev, e.getKey(), now, actor, e.getValue(), to, reason);
        }
        if (!statuses.isEmpty()) {
          up.executeBatch();
          ev.executeBatch();
        }
      }
      c.commit();
      return statuses.size();
    }
  }

  /**
   * One row per statement, by primary key. Not {@code WHERE id = ANY (?)} for a group: PostgreSQL
   * caches a generic plan for a prepared statement, and one made while the table was small (a new
   * install, or statistics never gathered because autovacuum is off, as on the CI machine) is a
   * sequential scan that is kept as the table grows: 17.6 ms per ending at 40,000 jobs in a steady
   * run (auto_explain), against 0.3 ms by key. A key lookup is planned as one at any size.
   */
  static final String END_PLAIN =
      "UPDATE job SET status = ?, progress = ?, last_activity_at = ?, run_after = ?,"
          + " lease_owner = NULL, lease_expires_at = 0, version = version + 1 WHERE id = ?";

  /** Adds to the batch the ending of a job whose data stays as it is. */
  private static void addPlainEnd(
      PreparedStatement up, String id, JobStatus status, int progress, long now, long runAfter)
      throws SQLException {
    up.setString(1, status.name());
    up.setInt(2, progress);
    up.setLong(3, now);
    up.setLong(4, runAfter);
    up.setString(5, id);
    up.addBatch();
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

  private static void addEvent(
      PreparedStatement ev,
      String jobId,
      long at,
      String actor,
      JobStatus from,
      JobStatus to,
      String message)
      throws SQLException {
    ev.setString(1, jobId);
    ev.setLong(2, at);
    ev.setString(3, actor);
    if (from == null) {
      ev.setNull(4, Types.VARCHAR);
    } else {
      ev.setString(4, from.name());
    }
    ev.setString(5, to.name());
    if (message == null) {
      ev.setNull(6, Types.VARCHAR);
    } else {
      ev.setString(6, JobEvents.truncate(message));
    }
    ev.addBatch();
  }

  /** Whether recording this outcome changes the job's data (or needs an earlier error cleared). */
  private static boolean rewritesData(RunOutcome o) {
    return !o.data().isEmpty() || o.error() != null || o.attempt() > 1;
  }

  static String placeholders(int n) {
    return String.join(", ", Collections.nCopies(n, "?"));
  }
}
