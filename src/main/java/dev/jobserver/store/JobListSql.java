package dev.jobserver.store;

import dev.jobserver.job.JobFields;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.JobResultInfo;
import dev.jobserver.job.JobStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.PGStatement;

/** The SQL of a page of a job list ({@link JobReads}): the statement, its columns, its rows. */
final class JobListSql {

  private JobListSql() {}

  /** Most (type, status) pairs a query is split into (see {@link #chunkSql}). */
  static final int MAX_BRANCHES = 64;

  /**
   * The statement that reads one chunk. A filter on several types or statuses is split into one
   * branch per (type, status) pair, each an index range scan in list order with its own limit,
   * merged by a UNION ALL: {@code type IN (..) AND status IN (..) ORDER BY create_at} would read
   * and sort every matching row, whereas each branch reads at most a chunk, at any depth of the
   * keyset (the indexes {@code (type, status, create_at, id)}, {@code (type, create_at, id)} and
   * {@code (status, create_at, id)} serve them).
   */
  static String chunkSql(
      JobQuery q,
      JobFields fields,
      JobQuery.Position after,
      long offset,
      int want,
      List<Object> params) {
    String dir = q.newestFirst() ? "DESC" : "ASC";
    // each (type, status) pair is read once, however often the query names it
    List<String> types = List.copyOf(new java.util.LinkedHashSet<>(q.types()));
    List<String> statuses = q.statuses().stream().map(JobStatus::name).distinct().toList();
    int branchCount = Math.max(types.size(), 1) * Math.max(statuses.size(), 1);
    boolean withResults = fields.results();
    StringBuilder sql = new StringBuilder("SELECT ");
    if (branchCount < 2 || branchCount > MAX_BRANCHES || offset > 0) {
      sql.append(columns("j", fields, true));
      if (withResults) {
        sql.append(RESULT_COLUMNS).append(" FROM job j LEFT JOIN job_result r ON r.job_id = j.id");
      } else {
        sql.append(" FROM job j");
      }
      sql.append(" WHERE 1 = 1");
      if (!types.isEmpty()) {
        sql.append(" AND j.type IN (").append(StoreSql.placeholders(types.size())).append(')');
        params.addAll(types);
      }
      if (!statuses.isEmpty()) {
        sql.append(" AND j.status IN (").append(StoreSql.placeholders(statuses.size())).append(')');
        params.addAll(statuses);
      }
      common(sql, q, after, params);
      sql.append(" ORDER BY j.create_at ").append(dir).append(", j.id ").append(dir);
      sql.append(" LIMIT ?");
      params.add((long) want);
      if (offset > 0) {
        sql.append(" OFFSET ?");
        params.add(offset);
      }
      return sql.toString();
    }
    sql.append(columns("u", fields, false));
    sql.append(withResults ? RESULT_COLUMNS : "").append(" FROM (SELECT * FROM (");
    boolean first = true;
    for (String type :
        types.isEmpty() ? java.util.Collections.<String>singletonList(null) : types) {
      for (String status :
          statuses.isEmpty() ? java.util.Collections.<String>singletonList(null) : statuses) {
        sql.append(first ? "(" : " UNION ALL (");
        first = false;
        sql.append("SELECT ").append(columns("j", fields, true)).append(" FROM job j WHERE 1 = 1");
        if (type != null) {
          sql.append(" AND j.type = ?");
          params.add(type);
        }
        if (status != null) {
          sql.append(" AND j.status = ?");
          params.add(status);
        }
        common(sql, q, after, params);
        sql.append(" ORDER BY j.create_at ").append(dir).append(", j.id ").append(dir);
        sql.append(" LIMIT ?)");
        params.add((long) want);
      }
    }
    sql.append(") b ORDER BY b.create_at ").append(dir).append(", b.id ").append(dir);
    sql.append(" LIMIT ?) u");
    params.add((long) want);
    if (withResults) {
      sql.append(" LEFT JOIN job_result r ON r.job_id = u.id");
    }
    sql.append(" ORDER BY u.create_at ").append(dir).append(", u.id ").append(dir);
    return sql.toString();
  }

  /**
   * The conditions every branch shares: the time range, the id prefix, and the keyset position. The
   * position is written {@code create_at <= ? AND (create_at < ? OR id < ?)} rather than as the
   * plain OR, so that its first part bounds the index range: a page deep in the list is read from
   * its place in the index, not by walking past every newer row.
   */
  private static void common(
      StringBuilder sql, JobQuery q, JobQuery.Position after, List<Object> params) {
    if (q.createdAfter() != null) {
      sql.append(" AND j.create_at >= ?");
      params.add(q.createdAfter());
    }
    if (q.createdBefore() != null) {
      sql.append(" AND j.create_at < ?");
      params.add(q.createdBefore());
    }
    if (q.scheduleId() != null) {
      sql.append(" AND j.schedule_id = ?");
      params.add(q.scheduleId());
    }
    if (q.idPrefix() != null) {
      sql.append(" AND j.id LIKE ? ESCAPE '!'");
      params.add(q.idPrefix().replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
    }
    if (after != null) {
      String cmp = q.newestFirst() ? "<" : ">";
      sql.append(" AND j.create_at ")
          .append(cmp)
          .append("= ? AND (j.create_at ")
          .append(cmp)
          .append(" ? OR j.id ")
          .append(cmp)
          .append(" ?)");
      params.add(after.createAt());
      params.add(after.createAt());
      params.add(after.id());
    }
  }

  private static final String[] JOB_COLUMNS = {
    "id",
    "type",
    "priority",
    "create_at",
    "start_at",
    "last_activity_at",
    "status",
    "progress",
    "data",
    "stacktrace",
    "force_run",
    "created_by",
    "attempt",
    "max_attempts",
    "run_after",
    "schedule_id",
    "due_at"
  };

  private static final String RESULT_COLUMNS =
      ", r.file_name, r.content_type, r.size, r.created_at";

  /**
   * The job columns, those the fields leave out read as NULL (in the statement that reads the
   * table: {@code source}; the outer statements of a merge name them as the others).
   */
  private static String columns(String alias, JobFields fields, boolean source) {
    StringBuilder b = new StringBuilder();
    for (String column : JOB_COLUMNS) {
      b.append(b.length() == 0 ? "" : ", ");
      boolean skipped =
          (column.equals("data") && !fields.data())
              || (column.equals("stacktrace") && !fields.traces());
      if (skipped && source) {
        b.append("NULL AS ").append(column);
      } else {
        b.append(alias).append('.').append(column);
      }
    }
    return b.toString();
  }

  /**
   * On PostgreSQL, a list statement is planned for its values each time rather than from a cached
   * generic plan: a generic plan made while the table was small stays a scan and sort as the table
   * grows (DESIGN.md, known pitfalls), and the best branch plan depends on how common the type or
   * status asked for is.
   */
  static void planEachTime(PreparedStatement ps) throws SQLException {
    if (ps.isWrapperFor(PGStatement.class)) {
      ps.unwrap(PGStatement.class).setPrepareThreshold(0);
    }
  }

  /**
   * These jobs (those that exist) as the native view shows them: data, result file and
   * dependencies, without stack traces; read on the caller's connection (in its transaction).
   */
  static java.util.Map<String, JobRecord> byIds(Connection c, java.util.Collection<String> ids)
      throws SQLException {
    java.util.Map<String, JobRecord> out = new java.util.HashMap<>();
    if (ids.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT "
                + columns("j", JobFields.WITH_RESULTS, true)
                + RESULT_COLUMNS
                + " FROM job j LEFT JOIN job_result r ON r.job_id = j.id WHERE j.id IN ("
                + StoreSql.placeholders(ids.size())
                + ")")) {
      StoreSql.bind(ps, 1, ids);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          JobRecord r = record(rs, JobFields.WITH_RESULTS);
          out.put(r.id(), r);
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT job_id, depends_on FROM job_dependency WHERE job_id IN ("
                + StoreSql.placeholders(ids.size())
                + ") ORDER BY job_id, depends_on")) {
      StoreSql.bind(ps, 1, ids);
      java.util.Map<String, List<String>> deps = new java.util.HashMap<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          deps.computeIfAbsent(rs.getString(1), k -> new java.util.ArrayList<>())
              .add(rs.getString(2));
        }
      }
      deps.forEach((id, on) -> out.computeIfPresent(id, (k, r) -> r.withDependsOn(on)));
    }
    return out;
  }

  static JobRecord record(ResultSet rs, JobFields fields) throws SQLException {
    boolean withResults = fields.results();
    String id = rs.getString(1);
    JobResultInfo result = null;
    int r = JOB_COLUMNS.length + 1;
    if (withResults && rs.getString(r) != null) {
      result =
          new JobResultInfo(
              id, rs.getString(r), rs.getString(r + 1), rs.getLong(r + 2), rs.getLong(r + 3));
    }
    long due = rs.getLong(17);
    Long dueAt = rs.wasNull() ? null : due;
    return new JobRecord(
        id,
        rs.getString(2),
        rs.getInt(3),
        rs.getLong(4),
        rs.getLong(5),
        rs.getLong(6),
        JobStatus.valueOf(rs.getString(7)),
        rs.getInt(8),
        rs.getString(9),
        rs.getString(10),
        rs.getBoolean(11),
        rs.getString(12),
        rs.getInt(13),
        rs.getInt(14),
        rs.getLong(15),
        result,
        rs.getString(16),
        dueAt,
        List.of());
  }
}
