package dev.jobserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jobserver.database.DatabaseMigration;
import dev.jobserver.job.JobFields;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.JobStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The search, stats and instance statements against a real database (H2, or with {@code -Ppostgres}
 * PostgreSQL as well), compared with what a plain filter and sort of the same rows says.
 */
class JobReadsTest {

  private static final List<String> TYPES = List.of("noop", "sleep", "job_export");
  private static final List<JobStatus> STATUSES =
      List.of(JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.PENDING, JobStatus.CANCELED);

  private DataSource ds;
  private String pgSchema;
  private JobReads reads;
  private final List<Row> rows = new ArrayList<>();

  record Row(String id, String type, JobStatus status, long createAt) {}

  @BeforeEach
  void setUp() throws Exception {
    String url = System.getProperty("it.db.url", "");
    if (url.startsWith("jdbc:postgresql:")) {
      pgSchema = "r" + UUID.randomUUID().toString().replace("-", "");
      PGSimpleDataSource pg = new PGSimpleDataSource();
      pg.setURL(url);
      pg.setUser(System.getProperty("it.db.user", "postgres"));
      try (Connection c = pg.getConnection()) {
        c.createStatement().execute("CREATE SCHEMA " + pgSchema);
      }
      pg.setCurrentSchema(pgSchema);
      ds = pg;
    } else {
      JdbcDataSource h2 = new JdbcDataSource();
      h2.setURL("jdbc:h2:mem:r" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
      ds = h2;
    }
    try (Connection c = ds.getConnection()) {
      DatabaseMigration.update(c);
    }
    reads = JobReads.over(ds);
  }

  @AfterEach
  void dropSchema() throws Exception {
    if (pgSchema != null) {
      try (Connection c = ds.getConnection()) {
        c.createStatement().execute("DROP SCHEMA " + pgSchema + " CASCADE");
      }
    }
  }

  /** n jobs over the types and statuses, several sharing each create_at (ties broken by id). */
  private void insert(int n) throws Exception {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO job (id, type, priority, create_at, status, data)"
                    + " VALUES (?, ?, 0, ?, ?, '{}')")) {
      for (int i = 0; i < n; i++) {
        String id = String.format("%026d", (i * 7919L) % 100_003); // ids not in create order
        Row row =
            new Row(
                id,
                TYPES.get(i % TYPES.size()),
                STATUSES.get((i / 3) % STATUSES.size()),
                1_000_000L + i / 4);
        rows.add(row);
        ps.setString(1, row.id());
        ps.setString(2, row.type());
        ps.setLong(3, row.createAt());
        ps.setString(4, row.status().name());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private List<String> expected(Predicate<Row> filter) {
    return rows.stream()
        .filter(filter)
        .sorted(Comparator.comparingLong(Row::createAt).thenComparing(Row::id).reversed())
        .map(Row::id)
        .toList();
  }

  /** Every page of a query, following the keyset from page to page as the native API does. */
  private List<String> pages(
      Collection<String> types,
      Collection<JobStatus> statuses,
      Long after,
      Long before,
      String q,
      int pageSize)
      throws Exception {
    List<String> out = new ArrayList<>();
    JobQuery.Position position = null;
    while (true) {
      List<JobRecord> page = new ArrayList<>();
      reads.list(
          new JobQuery(types, statuses, after, before, q, true, position, 0, pageSize),
          JobFields.WITH_RESULTS,
          page::add);
      page.forEach(j -> out.add(j.id()));
      if (page.size() < pageSize) {
        return out;
      }
      JobRecord last = page.get(page.size() - 1);
      position = new JobQuery.Position(last.createAt(), last.id());
    }
  }

  @Test
  void aSearchOnSeveralTypesAndStatusesPagesThroughExactlyTheMatchingJobsNewestFirst()
      throws Exception {
    insert(1000);
    Set<String> types = Set.of("noop", "sleep");
    Set<JobStatus> statuses = Set.of(JobStatus.FAILED, JobStatus.PENDING);
    for (int pageSize : List.of(1, 7, 50, 100, 101, 1000)) {
      assertEquals(
          expected(r -> types.contains(r.type()) && statuses.contains(r.status())),
          pages(types, statuses, null, null, null, pageSize),
          "page size " + pageSize);
    }
    assertEquals(
        expected(r -> types.contains(r.type())), pages(types, Set.of(), null, null, null, 33));
    assertEquals(
        expected(r -> statuses.contains(r.status())),
        pages(Set.of(), statuses, null, null, null, 33));
    assertEquals(
        expected(r -> r.type().equals("sleep") && r.status() == JobStatus.FAILED),
        pages(Set.of("sleep"), Set.of(JobStatus.FAILED), null, null, null, 9));
    assertEquals(expected(r -> true), pages(Set.of(), Set.of(), null, null, null, 64));
  }

  @Test
  void aSearchNarrowsByCreationTimeAndIdPrefix() throws Exception {
    insert(600);
    long from = 1_000_030L;
    long to = 1_000_090L;
    assertEquals(
        expected(r -> r.createAt() >= from && r.createAt() < to),
        pages(Set.of(), Set.of(), from, to, null, 10));
    assertEquals(
        expected(r -> r.createAt() >= from && r.type().equals("noop") && r.status().isFinished()),
        pages(
            Set.of("noop"),
            Set.of(JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELED),
            from,
            null,
            null,
            10));
    String prefix = rows.get(17).id().substring(0, 23);
    assertEquals(
        expected(r -> r.id().startsWith(prefix)), pages(Set.of(), Set.of(), null, null, prefix, 5));
    assertFalse(expected(r -> r.id().startsWith(prefix)).isEmpty());
    // LIKE's wildcards in a prefix are plain characters
    assertEquals(List.of(), pages(Set.of(), Set.of(), null, null, "0%", 5));
    assertEquals(List.of(), pages(Set.of(), Set.of(), null, null, "_", 5));
  }

  @Test
  void resultsComeOnlyWithTheJobsThatHaveOne() throws Exception {
    insert(20);
    String withResult = rows.get(5).id();
    try (Connection c = ds.getConnection()) {
      c.createStatement()
          .execute(
              "INSERT INTO job_result (job_id, file_name, content_type, size, created_at)"
                  + " VALUES ('"
                  + withResult
                  + "', 'out.csv', 'text/csv', 12, 1)");
    }
    List<JobRecord> found = new ArrayList<>();
    reads.list(
        new JobQuery(
            Set.of("noop", "sleep", "job_export"), Set.of(), null, null, null, true, null, 0, 100),
        JobFields.WITH_RESULTS,
        found::add);
    assertEquals(20, found.size());
    for (JobRecord j : found) {
      assertEquals(j.id().equals(withResult), j.result() != null, j.id());
    }
  }

  /**
   * The plan PostgreSQL makes for a search with values it has statistics for: each branch reads an
   * index in list order and stops at the page's size (a merge of ordered branches, never a scan of
   * the table or a sort of every match), and a page deep in the list starts from its place in the
   * index.
   */
  @Test
  void searchBranchesAndDeepPagesAreIndexRangesOnPostgres() throws Exception {
    assumeTrue(pgSchema != null, "PostgreSQL plans only; run with -Ppostgres");
    insert(20_000);
    // a rare pair: failed sleep jobs are few, so that walking all jobs newest first would be slow
    try (Connection c = ds.getConnection()) {
      c.createStatement()
          .execute(
              "UPDATE job SET status = 'COMPLETED' WHERE type = 'sleep' AND status = 'FAILED'");
      c.createStatement()
          .execute(
              "UPDATE job SET status = 'FAILED' WHERE id IN (SELECT id FROM job"
                  + " WHERE type = 'sleep' ORDER BY id LIMIT 20)");
      c.createStatement().execute("ANALYZE job");
    }
    String both =
        plan(
            new JobQuery(
                List.of("noop", "sleep"),
                List.of(JobStatus.FAILED, JobStatus.PENDING),
                null,
                null,
                null,
                true,
                new JobQuery.Position(1_002_000L, "x"),
                0,
                51));
    assertTrue(both.contains("Merge Append"), both);
    assertEquals(4, both.split("Index Scan Backward", -1).length - 1, both);
    assertFalse(both.contains("Seq Scan on job j"), both);
    assertTrue(
        both.contains("(type)::text = 'sleep'::text) AND ((status)::text = 'FAILED'")
            && both.contains(
                "Index Cond: (((type)::text = 'sleep'::text) AND ((status)::text ="
                    + " 'FAILED'::text)"),
        both);
    String deep =
        plan(
            new JobQuery(
                List.of(),
                List.of(),
                null,
                null,
                null,
                true,
                new JobQuery.Position(1_000_100L, "x"),
                0,
                51));
    assertTrue(deep.contains("Index Scan Backward using ix_job_create"), deep);
    assertTrue(deep.contains("Index Cond: (create_at <= "), deep);
    assertFalse(deep.contains("Seq Scan on job j"), deep);
    String prefix =
        plan(
            new JobQuery(
                List.of(), List.of(), null, null, "0000000000000000000000123", true, null, 0, 51));
    assertTrue(prefix.contains("ix_job_id_prefix"), prefix);
  }

  private String plan(JobQuery q) throws Exception {
    List<Object> params = new ArrayList<>();
    String sql =
        JobListSql.chunkSql(q, JobFields.WITH_RESULTS, q.after(), 0, (int) q.limit(), params);
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("EXPLAIN " + sql)) {
      for (int i = 0; i < params.size(); i++) {
        ps.setObject(i + 1, params.get(i));
      }
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      return plan.toString();
    }
  }

  // ---- stats and instances ------------------------------------------------------------------

  @Test
  void statsReadTheCountersAndTheLastHoursRuns() throws Exception {
    JobCounts counts = new JobCounts();
    counts.created("noop", JobStatus.PENDING);
    counts.created("noop", JobStatus.PENDING);
    counts.changed("noop", JobStatus.PENDING, JobStatus.FAILED);
    counts.created("sleep", JobStatus.COMPLETED);
    counts.deleted("sleep", JobStatus.COMPLETED);
    long now = 100L * 3_600_000L;
    counts.runEnded("noop", JobStatus.FAILED, now - 1000, 30);
    counts.runEnded("noop", JobStatus.COMPLETED, now - 1000, 10);
    counts.runEnded("noop", JobStatus.CANCELED, now - 2000, -1);
    counts.runEnded("noop", JobStatus.COMPLETED, now - 3_700_000L, 500); // over an hour ago
    try (Connection c = ds.getConnection()) {
      counts.apply(c, pgSchema != null);
    }
    StatsReads stats = StatsReads.over(ds);
    assertEquals(
        Map.of("noop", Map.of(JobStatus.PENDING, 1L, JobStatus.FAILED, 1L)), stats.counts());
    Map<String, StatsReads.Runs> runs = stats.runsSince(now - 3_600_000L);
    assertEquals(Set.of("noop"), runs.keySet());
    assertEquals(new StatsReads.Runs(3, 1, 40, 2), runs.get("noop"));
    assertEquals(20, runs.get("noop").averageRunMillis());
  }

  /** engine_instance as "id|workers|busy|lease_ms|started_at|last_seen_at", by id. */
  private List<String> instanceRows() throws Exception {
    List<String> out = new ArrayList<>();
    try (var c = ds.getConnection();
        var rs =
            c.createStatement()
                .executeQuery(
                    "SELECT id, workers, busy, lease_ms, started_at, last_seen_at"
                        + " FROM engine_instance ORDER BY id")) {
      while (rs.next()) {
        out.add(
            rs.getString(1)
                + "|"
                + rs.getInt(2)
                + "|"
                + rs.getInt(3)
                + "|"
                + rs.getLong(4)
                + "|"
                + rs.getLong(5)
                + "|"
                + rs.getLong(6));
      }
    }
    return out;
  }

  /**
   * The heartbeat's upsert keeps one row per instance (its start stays) and forgets instances that
   * have not beaten for 100 of their leases. (Which rows count as alive is the stats' JPQL query,
   * engine.StoredInstance, checked in server by NativeApiIT.)
   */
  @Test
  void anInstanceHasOneRowRenewedByItsBeatsAndIsForgottenAfterAHundredLeases() throws Exception {
    InstanceStore instances = InstanceStore.over(ds);
    long now = 1_000_000_000L;
    instances.seen(new InstanceStore.Instance("a", 16, 3, 15_000, now - 100_000, now - 1000));
    instances.seen(new InstanceStore.Instance("b", 8, 0, 1000, now - 100_000, now - 3500));
    instances.seen(new InstanceStore.Instance("a", 16, 5, 15_000, now - 50_000, now));
    assertEquals(
        List.of(
            "a|16|5|15000|" + (now - 100_000) + "|" + now,
            "b|8|0|1000|" + (now - 100_000) + "|" + (now - 3500)),
        instanceRows());
    // b has not beaten for 100 of its leases: the next beat of anyone forgets it
    instances.seen(new InstanceStore.Instance("a", 16, 0, 15_000, now - 100_000, now + 96_499));
    assertEquals(2, instanceRows().size(), "b's 100th lease not yet over");
    instances.seen(new InstanceStore.Instance("a", 16, 0, 15_000, now - 100_000, now + 96_501));
    assertEquals(List.of("a|16|0|15000|" + (now - 100_000) + "|" + (now + 96_501)), instanceRows());
    instances.remove("a");
    assertEquals(List.of(), instanceRows());
  }
}
