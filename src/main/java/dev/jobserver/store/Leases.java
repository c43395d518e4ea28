package dev.jobserver.store;

import static dev.jobserver.store.StoreSql.placeholders;

import dev.jobserver.job.JobData;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.StoreSql.Row;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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

  /** SQL: the job is a reservation of the instance; binds the instance (the lease owner). */
  static final String RESERVED_BY = "status = 'PENDING' AND lease_owner = ?";

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
   * oldest first, in one statement; rows locked by another instance's claim are skipped, never
   * waited for. A reservation is no status change: the job stays PENDING to every reader, with no
   * event, until a worker starts it ({@link RunLedger#record}); a reservation whose lease expires
   * (its instance died or gave it up) is free to be taken again.
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
        new StringBuilder("SELECT id FROM job WHERE run_after <= ? AND " + RESERVABLE);
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
        store.isPostgres(null)
            ? update + " RETURNING id, type, data, attempt, priority, create_at, run_after"
            : "SELECT id, type, data, attempt, priority, create_at, run_after FROM FINAL TABLE ("
                + update
                + ")";
    try (Connection c = store.transaction()) {
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
    try (Connection c = store.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "UPDATE job SET lease_owner = NULL, lease_expires_at = 0 WHERE "
                    + RESERVED_BY
                    + " AND id IN ("
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
   * Extends the leases of every job this instance holds (running or reserved), in one statement.
   */
  public int extendLeases(String owner, long leaseUntil) throws SQLException {
    try (Connection c = store.connection();
        PreparedStatement ps =
            c.prepareStatement("UPDATE job SET lease_expires_at = ? WHERE lease_owner = ?")) {
      ps.setLong(1, leaseUntil);
      ps.setString(2, owner);
      return ps.executeUpdate();
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
