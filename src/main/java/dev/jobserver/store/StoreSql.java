package dev.jobserver.store;

import dev.jobserver.job.JobData;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobNotFoundException;
import dev.jobserver.job.JobStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * What the parts of the job store ({@link JobStore}) share: the data source and its local
 * transactions, the commit that tells the listener (metrics) and this instance's engine what it
 * did, and the row and SQL helpers: a job's row locked for a decision, IN lists, deadlock retries.
 */
final class StoreSql {

  /** Most ids in one IN list (PostgreSQL takes 32,767 parameters a statement). */
  static final int IN_CHUNK = 1000;

  private final DataSource dataSource;

  private volatile Boolean postgres;

  /** Told after a commit that made blocked jobs pending (the local dispatcher claims them). */
  private volatile Runnable unblocked = () -> {};

  /** Every listener bean, told of each committed change (metrics); none in tests. */
  private StoreListener listener = new StoreListener() {};

  StoreSql(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Whom to tell when jobs whose dependencies are met became pending (this instance's engine). */
  void whenUnblocked(Runnable listener) {
    this.unblocked = listener == null ? () -> {} : listener;
  }

  StoreListener listener() {
    return listener;
  }

  void listener(StoreListener listener) {
    this.listener = listener;
  }

  /** A connection in auto-commit, for a single statement. */
  Connection connection() throws SQLException {
    return dataSource.getConnection();
  }

  /** A connection in a local transaction, rolled back when closed uncommitted. */
  Connection transaction() throws SQLException {
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

  boolean isPostgres(Connection c) throws SQLException {
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

  /**
   * Commits, then tells the listener (metrics) what the transaction did, and this instance's engine
   * if blocked jobs became pending.
   */
  void commit(Connection c, Statements statements) throws SQLException {
    c.commit();
    statements.counts.publish(listener);
    if (statements.unblockedAny()) {
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
   * opposite orders. Every write path of the engine (and callers' status changes) goes through
   * here, so a deadlock never changes an outcome; what is still deadlocked after that is reported
   * as transient to the caller.
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
  static boolean isDeadlock(SQLException e) {
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

  static String placeholders(int n) {
    return String.join(", ", Collections.nCopies(n, "?"));
  }

  // ---- a job's row, locked for a decision -----------------------------------------------------

  static Row lock(Connection c, String id) throws SQLException {
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

  /**
   * Locks these jobs' rows (those that exist) in id order, in chunks taken in that order. Every
   * path that locks or updates several job rows in one transaction takes them in id order (this,
   * {@link #lockAll}, a create's dependencies, the dependents of endings), so two transactions
   * never wait for each other in a cycle over job rows.
   */
  static void lockInOrder(Connection c, Collection<String> ids) throws SQLException {
    List<String> sorted = new ArrayList<>(new java.util.TreeSet<>(ids));
    for (List<String> chunk : chunks(sorted)) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id FROM job WHERE id IN ("
                  + placeholders(chunk.size())
                  + ") ORDER BY id FOR UPDATE")) {
        bind(ps, 1, chunk);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            // each row is locked as it is read
          }
        }
      }
    }
  }

  /** These jobs' rows, locked in id order (see {@link #lockInOrder}). */
  static Map<String, Row> lockAll(Connection c, Collection<String> ids, boolean withData)
      throws SQLException {
    Map<String, Row> rows = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + Row.COLUMNS
                + (withData ? ", data, stacktrace" : "")
                + " FROM job WHERE id IN ("
                + placeholders(ids.size())
                + ") ORDER BY id FOR UPDATE")) {
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
  static final class Row {
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

  /** The job's data after a change: the run's keys added, the error set or cleared. */
  static String mergedData(
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
}
