package dev.jobserver.store;

import static dev.jobserver.store.StoreSql.bind;
import static dev.jobserver.store.StoreSql.chunks;
import static dev.jobserver.store.StoreSql.mergedData;
import static dev.jobserver.store.StoreSql.placeholders;

import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobLifecycle.Dependencies;
import dev.jobserver.job.JobLifecycle.Dependents;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.StoreSql.Row;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a job's ending means for the jobs that depend on it, in the transaction that writes the
 * ending (one per {@link Statements}): a BLOCKED dependent counts off the dependencies that ended
 * well and becomes PENDING when none is left waiting; one whose dependency ended badly is
 * ABANDONED, transitively. Also where a job's own dependencies stand when it is retried.
 */
final class DependencyResolution {

  /** Statuses a dependency may end in for its dependents to run. */
  static final Set<JobStatus> ENDED_WELL =
      Set.of(JobStatus.COMPLETED, JobStatus.WARNING, JobStatus.SKIPPED);

  /** Statuses a dependency may end in that abandon its dependents. */
  static final Set<JobStatus> ENDED_BADLY =
      Set.of(JobStatus.FAILED, JobStatus.CANCELED, JobStatus.ABANDONED);

  private final Statements statements;
  private final Connection c;

  /** Jobs whose change concerns their dependents, level by level (see {@link #resolve}). */
  private final Map<String, Ending> endings = new LinkedHashMap<>();

  /** Whether blocked jobs became pending here (the dispatcher is told after the commit). */
  boolean unblockedAny;

  DependencyResolution(Statements statements, Connection c) {
    this.statements = statements;
    this.c = c;
  }

  /**
   * Notes a change that may concern the job's dependents (the state machine says so: it ended well,
   * or badly); they are dealt with in {@link #resolve}, in this transaction.
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
  void resolve() throws SQLException {
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
            JobRowUpdate.add(statements.get(JobRowUpdate.sql(t, true)), row.id, t, v);
            statements.event(row.id, now, "dependency:" + failedDep, t.from(), t.to(), error);
            statements.count(row.type, t, now, row.startAt);
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
                statements.get(JobRowUpdate.sql(t, false)),
                row.id,
                t,
                new JobRowUpdate.Values(now));
            statements.event(
                row.id,
                now,
                "dependency:" + unblockedBy.get(row.id),
                t.from(),
                t.to(),
                "every job it depends on has ended well");
            statements.count(row.type, t, now, row.startAt);
            unblockedAny = true;
          }
        }
        waiting.executeBatch();
      }
      statements.executeUpdates();
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

  /** A job's change that its dependents are to hear of. */
  record Ending(String id, JobStatus to, Dependents what) {}

  /** The error of a job that cannot run because a job it depends on ended badly. */
  static String dependencyFailed(String dependency, JobStatus status) {
    return "Job "
        + dependency
        + " that this job depends on ended "
        + status.name().toLowerCase()
        + ".";
  }

  /**
   * Where a job's dependencies stand, read with them locked (so none of them ends unseen while the
   * job's new status is written). A dependency deleted since (a finished one, by retention) no
   * longer holds the job back.
   */
  static DependencyState dependencyState(Connection c, String id) throws SQLException {
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
  static final class DependencyState {
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
}
