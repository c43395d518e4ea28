package dev.jobserver.store;

import static dev.jobserver.store.StoreSql.placeholders;

import dev.jobserver.job.JobData;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.StoreSql.Row;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The claim and the lease: an instance reserves due PENDING jobs, gives reservations up, extends
 * the leases of the jobs it holds, and reads what the database says of them.
 *
 * <p><b>The lease</b> says which instance holds a job. An instance holds every job it claimed until
 * the run's thread has returned, not merely until its outcome is written: a run stopped from
 * outside may go on, so its outcome keeps the lease ({@link RunOutcome#keepsLease}) and the
 * instance lets the job go ({@link #release}) when the thread returns. Callers' changes never take
 * the lease. The heartbeat extends, by id, only the jobs the instance holds ({@link
 * #extendLeases}).
 *
 * <p><b>A reservation</b> is a PENDING job with a lease owner: the instance that claimed it and
 * will start it, or give it up. It is no status of its own: every reader sees the job PENDING, and
 * no event is written. It ends when a worker starts the run ({@link RunLedger#record}: the job
 * becomes RUNNING, guarded by {@link #RESERVED_BY}), when the instance releases it, or when its
 * lease expires unrenewed; then the job is {@link #RESERVABLE} again, by any instance. This class
 * is where the reservation is defined; the others ask it.
 */
final class Leases {

  /** SQL: the job may be reserved (PENDING, and no lease or an expired one); binds now. */
  static final String RESERVABLE = "status = 'PENDING' AND lease_expires_at < ?";

  /**
   * SQL: the instance holds the job but no run of it is running: a reservation, or a job whose
   * stopped run's outcome was written with the lease kept; binds the instance.
   */
  static final String HELD_NOT_RUNNING =
      "lease_owner = ? AND status NOT IN ('RUNNING', 'CANCEL_REQUESTED')";

  /**
   * SQL: the job is a reservation of the instance; binds {@code PENDING}, then the instance (the
   * lease owner). The status is bound, not written: a statement that names {@code status =
   * 'PENDING'} may be planned on the claim's partial index ({@code ix_job_due}, PostgreSQL), which
   * it would read whole to find one id; bound, it is looked up by its key.
   */
  static final String RESERVED_BY = "status = ? AND lease_owner = ?";

  /** Whether the row, read under its lock, is a reservation of the instance. */
  static boolean reservedBy(Row row, String owner) {
    return row.status == JobStatus.PENDING && owner.equals(row.leaseOwner);
  }

  private final StoreSql store;

  Leases(StoreSql store) {
    this.store = store;
  }

  /**
   * Reserves up to {@code limit} PENDING jobs that are due for this instance, highest priority then
   * oldest first, for every type alike, in one statement; rows locked by another instance's claim
   * are skipped, never waited for. A type with a concurrency limit takes part with at most its free
   * slots (a type at its limit is left out, so it never holds back the others, and the others never
   * hold it back). A reservation is no status change: the job stays PENDING to every reader, with
   * no event, until a worker starts it ({@link RunLedger#record}); a reservation whose lease
   * expires (its instance died or gave it up) is free to be taken again.
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
    String excluded =
        excludedIds.isEmpty() ? "" : " AND id NOT IN (" + placeholders(excludedIds.size()) + ")";
    List<Object> params = new ArrayList<>();
    StringBuilder union =
        new StringBuilder(
            claimBranch(
                " AND type NOT IN (" + placeholders(Math.max(1, limited.size())) + ")", excluded));
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
      union.append(" UNION ALL ").append(claimBranch(" AND type = ?", excluded));
      params.add(now);
      params.add(now);
      params.add(type.getKey());
      params.addAll(excludedIds);
      params.add(Math.min(limit, type.getValue()));
    }
    params.add(limit);
    String select =
        "SELECT id FROM (" + union + ") claimable ORDER BY priority DESC, create_at, id LIMIT ?";
    String update =
        "UPDATE job SET lease_owner = ?, lease_expires_at = ? WHERE id IN (" + select + ")";
    String sql =
        store.isPostgres(null)
            ? update + " RETURNING id, type, data, attempt, priority, create_at, run_after"
            : "SELECT id, type, data, attempt, priority, create_at, run_after FROM FINAL TABLE ("
                + update
                + ")";
    try (Connection c = store.transaction()) {
      promoteDue(c, now);
      if (store.isPostgres(null)) {
        walkTheClaimIndexInOrder(c);
      }
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
   * Keeps PostgreSQL's planner from reading every due job to claim a few: without statistics (a
   * table not analysed yet, autovacuum off) or with stale ones (analysed while few jobs were
   * pending, then a burst), it estimates a handful of pending rows and plans a bitmap scan of all
   * of them and a sort, on every claim, instead of the ordered walk of ix_job_due that stops after
   * {@code limit} rows. With 20,000 jobs queued that was 12.8 ms a claim against 1.4 ms, and drains
   * 0.74x (bench/HISTORY.md, 2026-12-07 night). The setting ends with the claim's transaction; the
   * branches of limited types still read their type's rows through ix_job_type_status_create.
   */
  private static void walkTheClaimIndexInOrder(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL enable_bitmapscan = off");
    }
  }

  /**
   * The most delayed jobs one claim makes claimable (the rest, the next claims). Small enough that
   * PostgreSQL reads them through ix_job_delayed even in a table it never analysed: for 5,000 it
   * chose a sequential scan of the whole table, on every claim (62 ms at 100,000 jobs).
   */
  static final int PROMOTE_MAX = 200;

  /**
   * Clears the {@code delayed} mark of the jobs that are due now, in due order, at most {@link
   * #PROMOTE_MAX} (rows another claim is promoting are skipped, never waited for). A job written
   * with its run_after in the future is marked delayed ({@link JobCreates}, {@link JobRowUpdate}),
   * which keeps it out of the claim's index (ix_job_due on PostgreSQL, the {@code delayed} key of
   * ix_job_claim on H2), so a claim costs the same with 100,000 future jobs as with none (issue 20,
   * finding 8). When none is due, as most of the time, this is one probe of the first entry of
   * ix_job_delayed. Run in the claim's transaction, before the claim, whose statement sees the
   * change (read committed: each statement its own snapshot).
   */
  static int promoteDue(Connection c, long now) throws SQLException {
    try (PreparedStatement first =
        c.prepareStatement(
            "SELECT run_after FROM job WHERE delayed = TRUE ORDER BY run_after LIMIT 1")) {
      try (ResultSet rs = first.executeQuery()) {
        if (!rs.next() || rs.getLong(1) > now) {
          return 0;
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE job SET delayed = FALSE WHERE id IN (SELECT id FROM job"
                + " WHERE delayed = TRUE AND run_after <= ? ORDER BY run_after LIMIT "
                + PROMOTE_MAX
                + " FOR UPDATE SKIP LOCKED)")) {
      ps.setLong(1, now);
      return ps.executeUpdate();
    }
  }

  /**
   * One branch of the claim: the due, {@link #RESERVABLE} rows matching {@code filter}, best first,
   * locked unless another claim holds them. Binds: now (run_after), now (the lease), the filter's
   * values, the excluded ids, the limit. A delayed job ({@link #promoteDue}) is not read at all:
   * {@code delayed = FALSE} is written out so that PostgreSQL plans the branch on the partial index
   * that leaves delayed jobs out.
   */
  private static String claimBranch(String filter, String excluded) {
    return "SELECT id, priority, create_at FROM (SELECT id, priority, create_at FROM job"
        + " WHERE run_after <= ? AND delayed = FALSE AND "
        + RESERVABLE
        + filter
        + excluded
        + " ORDER BY priority DESC, create_at, id LIMIT ? FOR UPDATE SKIP LOCKED) b";
  }

  /**
   * Gives up this instance's hold on jobs it no longer runs: reservations it will not start (no
   * worker was free in time, the instance stops, an earlier run of the job is still alive here),
   * and jobs whose stopped run's thread has returned (their outcome was written with the lease
   * kept, see {@link RunOutcome#keepsLease}). A job still running under this instance's lease is
   * not touched; nothing else changes and no event is written.
   *
   * @return how many jobs were let go
   */
  public int release(String owner, Collection<String> ids) throws SQLException {
    int released = 0;
    for (List<String> chunk : StoreSql.chunks(new ArrayList<>(ids))) {
      try (Connection c = store.connection();
          PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE job SET lease_owner = NULL, lease_expires_at = 0 WHERE "
                      + HELD_NOT_RUNNING
                      + " AND id IN ("
                      + placeholders(chunk.size())
                      + ")")) {
        ps.setString(1, owner);
        StoreSql.bind(ps, 2, chunk);
        released += ps.executeUpdate();
      }
    }
    return released;
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
    for (List<String> chunk : StoreSql.chunks(new ArrayList<>(new java.util.TreeSet<>(ids)))) {
      // the rows locked in id order first, as every write of several job rows takes them (an
      // UPDATE alone takes them in the order it finds them, and met creates and endings of the
      // same running jobs in a cycle: issue 25's storm)
      try (Connection c = store.transaction();
          PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE job SET lease_expires_at = ? WHERE lease_owner = ? AND id IN ("
                      + placeholders(chunk.size())
                      + ")")) {
        StoreSql.lockInOrder(c, chunk);
        ps.setLong(1, leaseUntil);
        ps.setString(2, owner);
        StoreSql.bind(ps, 3, chunk);
        extended += ps.executeUpdate();
        c.commit();
      }
    }
    return extended;
  }

  /**
   * The database's wall clock (epoch ms): the time every instance agrees on for leases and due
   * times. H2 is embedded or served from the same machine, whose clock it is.
   */
  public long databaseMillis() throws SQLException {
    if (!store.isPostgres(null)) {
      return System.currentTimeMillis();
    }
    try (Connection c = store.connection();
        PreparedStatement ps =
            c.prepareStatement("SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** What the database says of these jobs now (a job that was deleted is absent). */
  public Map<String, RunState> states(Collection<String> ids) throws SQLException {
    if (ids.isEmpty()) {
      return Collections.emptyMap();
    }
    Map<String, RunState> out = new HashMap<>();
    try (Connection c = store.connection();
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
}
