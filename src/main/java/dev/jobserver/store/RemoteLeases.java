package dev.jobserver.store;

import static dev.jobserver.store.RunLedger.RUNNING_STATES;
import static dev.jobserver.store.StoreSql.placeholders;

import dev.jobserver.job.JobData;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.StoreSql.Row;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * The runs of remote workers: the same job row, lease columns, state machine and run ledger as the
 * engine's own runs, with one more column, the fencing token. A claim starts jobs at once (a worker
 * claims only what it runs), under a lease owner made of the token ({@link #owner}), so that every
 * write of the ledger (its owner and attempt guard) and of the result store is fenced by it, and
 * {@link Recovery} recovers an expired remote lease like any other. The engine's heartbeat extends
 * leases by its own instance as owner only, so never a worker's.
 */
public final class RemoteLeases {

  /** A job a worker claimed: what it needs to run it, and the token of its run. */
  public record Claimed(
      String id,
      String type,
      Map<String, String> data,
      int attempt,
      int maxAttempts,
      long leaseToken,
      long leaseExpiresAt) {}

  /** A remote type as the claim needs it: its limit across all workers (0: none), its timeout. */
  public record TypeLimit(int maxConcurrent, long timeoutMillis) {}

  /** How a worker's write ended. */
  public enum Answer {
    /** Applied now. */
    DONE,
    /** The same answer with the same token was applied before: answered again, nothing changes. */
    REPEATED,
    /** The token is not the job's current one, or its lease is lost (expired, recovered, ended). */
    LOST,
    NOT_FOUND
  }

  /** How a worker's ending was answered, and the job as it stands after it (null: NOT_FOUND). */
  public record Ended(Answer answer, JobRecord job) {}

  /** What a heartbeat found. */
  public record Beat(Answer answer, boolean cancelRequested, long leaseExpiresAt, String worker) {}

  /** The prefix of every remote lease owner; an instance id never starts with it. */
  static final String OWNER_PREFIX = "remote#";

  private final StoreSql store;
  private final Leases leases;
  private final RemoteEndings endings;

  RemoteLeases(StoreSql store, Leases leases, RunLedger ledger) {
    this.store = store;
    this.leases = leases;
    this.endings = new RemoteEndings(store, leases, ledger);
  }

  /** The lease owner of one remote run: unique per job and token. */
  static String owner(long token, String worker) {
    String owner = OWNER_PREFIX + token + " " + worker;
    return owner.length() <= 64 ? owner : owner.substring(0, 64);
  }

  /** The worker named in a remote lease owner. */
  static String workerOf(String owner) {
    int space = owner.indexOf(' ');
    return space < 0 ? "?" : owner.substring(space + 1);
  }

  /**
   * Claims up to {@code max} due PENDING jobs of these remote types, best priority then oldest
   * first, and starts them (RUNNING, event by {@code actor}, a new token each). A type with a limit
   * takes part with its free slots across all workers and instances: its row in {@code remote_type}
   * is locked while they are counted and taken, so two claims never both take the last slot.
   */
  public List<Claimed> claim(
      Map<String, TypeLimit> types, int max, long leaseMillis, String worker, String actor)
      throws SQLException {
    return StoreSql.retryingDeadlocks(() -> claimOnce(types, max, leaseMillis, worker, actor));
  }

  private List<Claimed> claimOnce(
      Map<String, TypeLimit> types, int max, long leaseMillis, String worker, String actor)
      throws SQLException {
    long now = leases.databaseMillis();
    try (Connection c = store.transaction()) {
      List<String> unlimited = new ArrayList<>();
      Map<String, Integer> free = new TreeMap<>(); // name order: locks always taken alike
      for (Map.Entry<String, TypeLimit> t : types.entrySet()) {
        if (t.getValue().maxConcurrent() > 0) {
          free.put(t.getKey(), t.getValue().maxConcurrent());
        } else {
          unlimited.add(t.getKey());
        }
      }
      for (Map.Entry<String, Integer> t : free.entrySet()) {
        t.setValue(Math.max(0, t.getValue() - lockAndCountRunning(c, t.getKey())));
      }
      List<Object[]> rows = new ArrayList<>();
      if (!unlimited.isEmpty()) {
        rows.addAll(candidates(c, unlimited, max, now));
      }
      for (Map.Entry<String, Integer> t : free.entrySet()) {
        if (t.getValue() > 0) {
          rows.addAll(candidates(c, List.of(t.getKey()), Math.min(max, t.getValue()), now));
        }
      }
      rows.sort(
          Comparator.<Object[]>comparingInt(r -> -(int) r[5])
              .thenComparingLong(r -> (long) r[6])
              .thenComparing(r -> (String) r[0]));
      List<Claimed> claimed = new ArrayList<>();
      Statements statements = new Statements(store, c);
      String leaseSql =
          "UPDATE job SET lease_owner = ?, lease_expires_at = ?, lease_token = ?,"
              + " lease_answer = NULL, lease_ms = ? WHERE id = ?";
      for (Object[] r : rows.subList(0, Math.min(max, rows.size()))) {
        String id = (String) r[0];
        String type = (String) r[1];
        int attempt = (int) r[3];
        int maxAttempts = (int) r[4];
        long token = (long) r[8] + 1;
        long until = now + Math.min(leaseMillis, types.get(type).timeoutMillis());
        Transition start =
            JobLifecycle.decide(JobStatus.PENDING, Cause.START, attempt, maxAttempts);
        JobRowUpdate.Values v = new JobRowUpdate.Values(now);
        v.startedAt = now;
        JobRowUpdate.add(statements.get(JobRowUpdate.sql(start, false)), id, start, v);
        PreparedStatement lease = statements.get(leaseSql);
        lease.setString(1, owner(token, worker));
        lease.setLong(2, until);
        lease.setLong(3, token);
        lease.setLong(4, leaseMillis);
        lease.setString(5, id);
        lease.addBatch();
        statements.event(
            id,
            now,
            actor,
            JobStatus.PENDING,
            JobStatus.RUNNING,
            attempt + 1 > 1 ? "attempt " + (attempt + 1) : null);
        statements.count(type, start, now, 0);
        statements.counts.started(type, now - (long) r[7]);
        claimed.add(
            new Claimed(
                id, type, JobData.fromJson((String) r[2]), attempt + 1, maxAttempts, token, until));
      }
      statements.executeAll();
      store.commit(c, statements);
      return claimed;
    }
  }

  private static int lockAndCountRunning(Connection c, String type) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT name FROM remote_type WHERE name = ? FOR UPDATE")) {
      ps.setString(1, type);
      ps.executeQuery().close();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT COUNT(*) FROM job WHERE type = ? AND status IN " + RUNNING_STATES)) {
      ps.setString(1, type);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** id, type, data, attempt, max_attempts, priority, create_at, due at, lease_token. */
  private static List<Object[]> candidates(Connection c, List<String> types, int limit, long now)
      throws SQLException {
    List<Object[]> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id, type, data, attempt, max_attempts, priority, create_at, run_after,"
                + " lease_token FROM job WHERE status = 'PENDING' AND type IN ("
                + placeholders(types.size())
                + ") AND run_after <= ? AND lease_expires_at < ?"
                + " ORDER BY priority DESC, create_at, id LIMIT ? FOR UPDATE SKIP LOCKED")) {
      int i = 1;
      for (String t : types) {
        ps.setString(i++, t);
      }
      ps.setLong(i++, now);
      ps.setLong(i++, now);
      ps.setInt(i, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Object[] {
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getInt(4),
                rs.getInt(5),
                rs.getInt(6),
                rs.getLong(7),
                Math.max(rs.getLong(7), rs.getLong(8)),
                rs.getLong(9)
              });
        }
      }
    }
    return out;
  }

  /** The job's run as the fence sees it, read under the row's lock. */
  record Fence(Row row, long token, String answer, long expiresAt, long leaseMillis, long startAt) {
    boolean live(long now) {
      return (row.status == JobStatus.RUNNING || row.status == JobStatus.CANCEL_REQUESTED)
          && row.leaseOwner != null
          && row.leaseOwner.startsWith(OWNER_PREFIX)
          && expiresAt >= now;
    }
  }

  private static Fence fence(Connection c, String id) throws SQLException {
    return fences(c, List.of(id)).get(id);
  }

  /** The runs of these jobs (those that exist) as the fence sees them, their rows locked. */
  static Map<String, Fence> fences(Connection c, List<String> ids) throws SQLException {
    List<String> distinct = new ArrayList<>(new java.util.TreeSet<>(ids));
    Map<String, Row> rows = StoreSql.lockAll(c, distinct, false);
    Map<String, Fence> fences = new java.util.HashMap<>();
    if (rows.isEmpty()) {
      return fences;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT id, lease_token, lease_answer, lease_expires_at, lease_ms, start_at FROM job"
                + " WHERE id IN ("
                + placeholders(rows.size())
                + ")")) {
      StoreSql.bind(ps, 1, rows.keySet());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Row row = rows.get(rs.getString(1));
          fences.put(
              row.id,
              new Fence(
                  row,
                  rs.getLong(2),
                  rs.getString(3),
                  rs.getLong(4),
                  rs.getLong(5),
                  rs.getLong(6)));
        }
      }
    }
    return fences;
  }

  /**
   * Extends the lease of a live run by its lease length, never past its type's timeout after the
   * start (a run past it loses its lease, and recovery takes the job), and writes its progress and
   * its message (the job's data key {@value #PROGRESS_MESSAGE}, replaced by each message).
   *
   * @param progress 0-100, or null to keep it
   * @param message what the run is doing now, or null to keep the last one
   */
  public Beat heartbeat(
      String id, long token, Integer progress, String message, ToLongFunction<String> timeoutOfType)
      throws SQLException {
    return StoreSql.retryingDeadlocks(
        () -> {
          long now = leases.databaseMillis();
          try (Connection c = store.transaction()) {
            Fence f = fence(c, id);
            if (f == null) {
              return new Beat(Answer.NOT_FOUND, false, 0, null);
            }
            if (f.token != token || !f.live(now)) {
              return new Beat(Answer.LOST, false, 0, null);
            }
            long until =
                Math.min(now + f.leaseMillis, f.startAt + timeoutOfType.applyAsLong(f.row.type));
            String data = message == null ? null : withProgressMessage(c, id, message);
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE job SET lease_expires_at = ?, last_activity_at = ?"
                        + (progress == null ? "" : ", progress = ?")
                        + (data == null ? "" : ", data = ?")
                        + " WHERE id = ?")) {
              int i = 1;
              ps.setLong(i++, until);
              ps.setLong(i++, now);
              if (progress != null) {
                ps.setInt(i++, progress);
              }
              if (data != null) {
                ps.setString(i++, data);
              }
              ps.setString(i, id);
              ps.executeUpdate();
            }
            c.commit();
            if (until <= now) {
              return new Beat(
                  Answer.LOST, false, 0, null); // past its timeout: recovery ends the run
            }
            return new Beat(
                Answer.DONE,
                f.row.status == JobStatus.CANCEL_REQUESTED,
                until,
                workerOf(f.row.leaseOwner));
          }
        });
  }

  /** The job's data key that holds the message of a remote run's latest heartbeat. */
  public static final String PROGRESS_MESSAGE = "progress_message";

  /** The job's data (its row is locked) with the progress message put in. */
  private static String withProgressMessage(Connection c, String id, String message)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT data FROM job WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Map<String, String> data = new java.util.LinkedHashMap<>(JobData.fromJson(rs.getString(1)));
        data.put(PROGRESS_MESSAGE, message);
        return JobData.toJson(data);
      }
    }
  }

  /** The wait before a retry of a failed remote run: of its type, after this attempt (ms). */
  @FunctionalInterface
  public interface RetryDelay {
    long millis(String type, int attempt);
  }

  /**
   * Records how a remote run ended (see {@link RemoteEndings#finish}): through the run ledger,
   * fenced by the token, with the endings other workers send meanwhile in one transaction.
   */
  public Ended finish(
      String id,
      long token,
      String answer,
      Cause cause,
      String text,
      boolean finalFailure,
      RetryDelay retryDelay,
      String subject)
      throws SQLException {
    return endings.finish(id, token, answer, cause, text, finalFailure, retryDelay, subject);
  }

  /**
   * The lease owner and attempt of a live run of this token, under which its result is written (the
   * result store fences every chunk by them); null when the lease is lost.
   */
  public Object[] liveRun(String id, long token) throws SQLException {
    long now = leases.databaseMillis();
    try (Connection c = store.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT lease_owner, attempt, lease_expires_at, status FROM job WHERE id = ?"
                    + " AND lease_token = ?")) {
      ps.setString(1, id);
      ps.setLong(2, token);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        String owner = rs.getString(1);
        boolean running = RUNNING_STATES.contains("'" + rs.getString(4) + "'");
        if (owner == null || !owner.startsWith(OWNER_PREFIX) || rs.getLong(3) < now || !running) {
          return null;
        }
        return new Object[] {owner, rs.getInt(2)};
      }
    }
  }

  /** Removes a result that a run began and gave up (it was too large), while the run holds it. */
  public void discardResult(String id, String owner) throws SQLException {
    try (Connection c = store.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "DELETE FROM job_result WHERE job_id = ? AND EXISTS (SELECT 1 FROM job WHERE id"
                    + " = ? AND lease_owner = ?)")) {
      ps.setString(1, id);
      ps.setString(2, id);
      ps.setString(3, owner);
      ps.executeUpdate();
    }
  }
}
