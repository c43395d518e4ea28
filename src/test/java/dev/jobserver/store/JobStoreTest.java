package dev.jobserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jobserver.database.DatabaseMigration;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The engine's statements against a real database (H2, or PostgreSQL) with the Liquibase schema.
 */
class JobStoreTest {

  private DataSource ds;
  private JobStore queue;
  private String pgSchema;

  /**
   * A fresh in-memory H2 database; with {@code mvn verify -Ppostgres}, a fresh schema in the
   * PostgreSQL test database instead (some of these statements differ between the two).
   */
  @BeforeEach
  void setUp() throws Exception {
    String url = System.getProperty("it.db.url", "");
    if (url.startsWith("jdbc:postgresql:")) {
      pgSchema = "q" + UUID.randomUUID().toString().replace("-", "");
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
      h2.setURL("jdbc:h2:mem:q" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
      ds = h2;
    }
    try (Connection c = ds.getConnection()) {
      DatabaseMigration.update(c);
    }
    queue = new JobStore(ds);
  }

  @AfterEach
  void dropSchema() throws Exception {
    if (pgSchema != null) {
      try (Connection c = ds.getConnection()) {
        c.createStatement().execute("DROP SCHEMA " + pgSchema + " CASCADE");
      }
    }
  }

  private void insert(
      String id, String type, int priority, long createAt, String status, long runAfter)
      throws Exception {
    JobCounts counts = new JobCounts();
    counts.created(type, JobStatus.valueOf(status));
    try (Connection c = ds.getConnection()) {
      counts.apply(c, pgSchema != null);
    }
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO job (id, type, priority, create_at, status, data, run_after, max_attempts)"
                    + " VALUES (?, ?, ?, ?, ?, '{\"k\":\"v\"}', ?, 2)")) {
      ps.setString(1, id);
      ps.setString(2, type);
      ps.setInt(3, priority);
      ps.setLong(4, createAt);
      ps.setString(5, status);
      ps.setLong(6, runAfter);
      ps.executeUpdate();
    }
  }

  private Map<String, Object> row(String id) throws Exception {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT status, attempt, lease_owner, progress, data, start_at, lease_expires_at"
                    + " FROM job WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return Map.of(
            "status",
            rs.getString(1),
            "attempt",
            rs.getInt(2),
            "owner",
            String.valueOf(rs.getString(3)),
            "progress",
            rs.getInt(4),
            "data",
            rs.getString(5),
            "start_at",
            rs.getLong(6),
            "lease",
            rs.getLong(7));
      }
    }
  }

  private List<String> events(String id) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT old_status, new_status, actor FROM job_event WHERE job_id = ? ORDER BY id")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1) + ">" + rs.getString(2) + "@" + rs.getString(3));
        }
      }
    }
    return out;
  }

  private List<ClaimedJob> reserve(String owner, int n, long now, long leaseUntil)
      throws Exception {
    return queue.reserve(owner, n, now, leaseUntil, Map.of(), List.of());
  }

  /** Reserves and starts, as the engine does when a worker takes the run at once. */
  private List<ClaimedJob> claimAndStart(String owner, int n, long leaseUntil) throws Exception {
    List<ClaimedJob> jobs =
        queue.reserve(owner, n, System.currentTimeMillis(), leaseUntil, Map.of(), List.of());
    List<RunStart> starts = new ArrayList<>();
    for (ClaimedJob j : jobs) {
      starts.add(new RunStart(j.id(), "noop", j.attempt(), System.currentTimeMillis()));
    }
    assertEquals(Set.of(), queue.record(owner, starts, List.of(), "e"));
    return jobs;
  }

  /**
   * The counts the store keeps agree with the table. (The rows the tests insert with SQL are
   * counted first, as any row written behind the store's back would have to be.)
   */
  private void assertCountsMatchTheTable() throws Exception {
    Map<String, Long> kept = new java.util.TreeMap<>();
    Map<String, Long> actual = new java.util.TreeMap<>();
    try (Connection c = ds.getConnection()) {
      try (ResultSet rs =
          c.createStatement()
              .executeQuery(
                  "SELECT type, status, SUM(n) FROM job_count GROUP BY type, status"
                      + " HAVING SUM(n) <> 0")) {
        while (rs.next()) {
          kept.put(rs.getString(1) + "/" + rs.getString(2), rs.getLong(3));
        }
      }
      try (ResultSet rs =
          c.createStatement()
              .executeQuery("SELECT type, status, COUNT(*) FROM job GROUP BY type, status")) {
        while (rs.next()) {
          actual.put(rs.getString(1) + "/" + rs.getString(2), rs.getLong(3));
        }
      }
    }
    assertEquals(actual, kept);
  }

  @Test
  void countsByTypeAndStatusAndRunsPerMinuteFollowEveryChange() throws Exception {
    long now = System.currentTimeMillis();
    for (String id : List.of("a", "b", "c", "d", "e")) {
      insert(id, "noop", 0, now, "PENDING", 0);
    }
    Job created = new Job("f", "sleep", 0, now, Map.of());
    created.setMaxAttempts(1);
    queue.insertAll(List.of(created));
    claimAndStart("me", 3, now + 10_000); // a, b, c
    queue.finish(
        "me",
        List.of(
            new RunOutcome("a", 1, Cause.SUCCEED, 100, Map.of(), null, null, 0, null),
            new RunOutcome("b", 1, Cause.FAIL, 10, Map.of(), "boom", null, 0, null)),
        "e");
    queue.change("d", Cause.CANCEL, "alice", "cancel", t -> 1);
    queue.change("c", Cause.CANCEL, "alice", "cancel", t -> 1);
    queue.delete("a");
    assertCountsMatchTheTable();
    try (Connection c = ds.getConnection();
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT SUM(finished), SUM(failed), SUM(runs) FROM job_minute"
                        + " WHERE type = 'noop'")) {
      rs.next();
      // a completed, d canceled while pending (no run); b failed but has attempts left (2)
      assertEquals(2, rs.getLong(1));
      assertEquals(0, rs.getLong(2));
      assertEquals(1, rs.getLong(3));
    }
  }

  @Test
  void theListenerHearsOfCreatesStartsAndEndingsOnceCommitted() throws Exception {
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    JobStore told =
        new JobStore(
            ds,
            new StoreListener() {
              @Override
              public void created(String type) {
                heard.add("created " + type);
              }

              @Override
              public void started(String type, long waitMillis) {
                heard.add("started " + type + " after " + waitMillis);
              }

              @Override
              public void finished(String type, JobStatus status, long runMillis) {
                heard.add(
                    "finished " + type + " " + status + (runMillis < 0 ? " without a run" : ""));
              }
            });
    long now = System.currentTimeMillis();
    Job early = new Job("early", "noop", 0, now - 5000, Map.of());
    Job later = new Job("later", "sleep", 0, now - 5000, Map.of());
    later.setRunAfter(now - 2000); // due two seconds ago, not five
    told.insertAll(List.of(early, later));
    assertEquals(List.of("created noop", "created sleep"), heard);
    heard.clear();

    List<ClaimedJob> claimed = told.reserve("me", 10, now, now + 10_000, Map.of(), List.of());
    assertEquals(2, claimed.size());
    List<RunStart> starts = new ArrayList<>();
    for (ClaimedJob j : claimed) {
      starts.add(new RunStart(j.id(), j.type(), j.attempt(), now, j.dueAt()));
    }
    told.record("me", starts, List.of(), "e");
    assertEquals(Set.of("started noop after 5000", "started sleep after 2000"), Set.copyOf(heard));
    heard.clear();

    told.finish(
        "me",
        List.of(new RunOutcome("early", 1, Cause.SUCCEED, 100, Map.of(), null, null, 0, null)),
        "e");
    assertEquals(1, heard.size());
    assertEquals("finished noop COMPLETED", heard.get(0));
    heard.clear();
    insert("waiting", "noop", 0, now, "PENDING", 0);
    told.change("waiting", Cause.CANCEL, "alice", "cancel", t -> 1);
    assertEquals(List.of("finished noop CANCELED without a run"), heard);
    heard.clear();
    // a change that fails (the job is gone) tells nothing
    try {
      told.change("missing", Cause.CANCEL, "alice", "cancel", t -> 1);
    } catch (dev.jobserver.job.JobNotFoundException expected) {
      // as it should
    }
    assertEquals(List.of(), heard);
  }

  @Test
  void theShutdownPathWarmsUpWithoutFailing() throws Exception {
    // the engine runs it at boot so that its classes are loaded before the server closes them
    queue.warmUp("me");
    assertCountsMatchTheTable();
  }

  private static List<String> ids(List<ClaimedJob> jobs) {
    return jobs.stream().map(ClaimedJob::id).toList();
  }

  @Test
  void insertStoresAPendingJobWithItsCreatedEventAndAClaimRunsIt() throws Exception {
    Job job = new Job("created-1", "noop", 3, System.currentTimeMillis() - 5, Map.of("a", "b"));
    job.setCreatedBy("alice");
    job.setMaxAttempts(4);
    queue.insertAll(List.of(job));

    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT type, priority, create_at, status, data, created_by, max_attempts, attempt,"
                    + " start_at, lease_owner FROM job WHERE id = 'created-1'")) {
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next());
        assertEquals("noop", rs.getString(1));
        assertEquals(3, rs.getInt(2));
        assertEquals(job.getCreateAt(), rs.getLong(3));
        assertEquals("PENDING", rs.getString(4));
        assertEquals("{\"a\":\"b\"}", rs.getString(5));
        assertEquals("alice", rs.getString(6));
        assertEquals(4, rs.getInt(7));
        assertEquals(0, rs.getInt(8));
        assertEquals(0, rs.getLong(9));
        assertEquals(null, rs.getString(10));
      }
    }
    assertEquals(List.of("null>PENDING@alice"), events("created-1"));

    List<ClaimedJob> claimed = claimAndStart("me", 10, System.currentTimeMillis() + 5000);
    assertEquals(List.of("created-1"), claimed.stream().map(ClaimedJob::id).toList());
    assertEquals(Map.of("a", "b"), claimed.get(0).data());
  }

  /**
   * A completion must find its row by key however PostgreSQL plans it: a generic plan made for an
   * empty, never analysed table (a new install; autovacuum off) is kept as the table grows, and for
   * {@code id = ANY (?)} it was a sequential scan. Only meaningful on PostgreSQL.
   */
  @Test
  void theEndingStatementIsAKeyLookupEvenInAGenericPlanOnAnEmptyTable() throws Exception {
    assumeTrue(pgSchema != null, "H2 has no plan cache of this kind; run with -Ppostgres");
    try (Connection c = ds.getConnection()) {
      c.createStatement().execute("SET plan_cache_mode = force_generic_plan");
      // a run that completed: UPDATE job SET status = ?, last_activity_at = ?, ... WHERE id = ?
      String byKey =
          JobRowUpdate.sql(JobLifecycle.decide(JobStatus.RUNNING, Cause.SUCCEED, 1, 1), false)
              .replaceFirst("\\?", "'COMPLETED'")
              .replaceFirst("\\?", "1")
              .replaceFirst("\\?", "\\$1");
      c.createStatement().execute("PREPARE p(varchar) AS " + byKey);
      StringBuilder plan = new StringBuilder();
      try (ResultSet rs = c.createStatement().executeQuery("EXPLAIN EXECUTE p('x')")) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      // the primary key or the id-prefix index (ix_job_id_prefix): either is a lookup by key
      assertTrue(
          plan.toString().matches("(?s).*Index Scan using (pk_job|ix_job_id_prefix) on job.*"),
          plan.toString());
      assertTrue(
          plan.toString().contains("Index Cond: ((id)::text = ($1)::text)"), plan.toString());
    }
  }

  /**
   * Finding 9 of issue 20: the claim sets only the lease, and no index of the job table holds a
   * lease column, so the claim never adds index entries (on PostgreSQL a HOT update).
   */
  @Test
  void noIndexOfTheJobTableHoldsTheLeaseColumns() throws Exception {
    List<String> indexed = new ArrayList<>();
    try (Connection c = ds.getConnection();
        ResultSet rs =
            c.getMetaData()
                .getIndexInfo(null, pgSchema, pgSchema == null ? "JOB" : "job", false, false)) {
      while (rs.next()) {
        if (rs.getString("COLUMN_NAME") != null) {
          indexed.add(rs.getString("INDEX_NAME") + ":" + rs.getString("COLUMN_NAME").toLowerCase());
        }
      }
    }
    assertTrue(indexed.stream().anyMatch(i -> i.endsWith(":priority")), indexed.toString());
    assertTrue(
        indexed.stream()
            .noneMatch(i -> i.endsWith(":lease_owner") || i.endsWith(":lease_expires_at")),
        indexed.toString());
  }

  /**
   * The start of a run (and a start and end written at once) finds its row by key in a generic
   * plan, however many jobs are PENDING: it must never read the claim's partial index (which holds
   * every PENDING job) to find one id. Only meaningful on PostgreSQL.
   */
  @Test
  void theStartStatementIsAKeyLookupNotAScanOfThePendingIndex() throws Exception {
    assumeTrue(pgSchema != null, "H2 has no partial indexes; run with -Ppostgres");
    long now = System.currentTimeMillis();
    try (Connection c = ds.getConnection()) {
      // as the benchmark queues them: many PENDING jobs, the table never analysed
      c.createStatement()
          .execute(
              "INSERT INTO job (id, type, priority, create_at, status, data) SELECT 'p-' || g,"
                  + " 'noop', 0, "
                  + now
                  + ", 'PENDING', '{}' FROM generate_series(1, 2000) g");
    }
    JobLifecycle.Transition start = JobLifecycle.decide(JobStatus.PENDING, Cause.START, 0, 1);
    JobLifecycle.Transition end = JobLifecycle.decide(JobStatus.RUNNING, Cause.SUCCEED, 1, 1);
    for (String sql :
        List.of(JobRowUpdate.sql(start, start, false), JobRowUpdate.sql(start, end, false))) {
      String plan = genericPlan(sql);
      assertTrue(plan.matches("(?s).*Index Scan using (pk_job|ix_job_id_prefix) on job.*"), plan);
    }
  }

  /** PostgreSQL's generic plan of a statement written with JDBC's {@code ?} parameters. */
  private String genericPlan(String jdbcSql) throws Exception {
    StringBuilder sql = new StringBuilder();
    int n = 0;
    for (char ch : jdbcSql.toCharArray()) {
      if (ch == '?') {
        sql.append('$').append(++n);
      } else {
        sql.append(ch);
      }
    }
    try (Connection c = ds.getConnection()) {
      c.createStatement().execute("SET plan_cache_mode = force_generic_plan");
      c.createStatement().execute("PREPARE g AS " + sql);
      StringBuilder plan = new StringBuilder();
      String args = String.join(", ", java.util.Collections.nCopies(n, "NULL"));
      try (ResultSet rs = c.createStatement().executeQuery("EXPLAIN EXECUTE g(" + args + ")")) {
        while (rs.next()) {
          plan.append(rs.getString(1)).append('\n');
        }
      }
      return plan.toString();
    }
  }

  /** On PostgreSQL the claim's update is a HOT update: no index is written. */
  @Test
  void theClaimIsAHotUpdateOnPostgres() throws Exception {
    assumeTrue(pgSchema != null, "HOT updates are PostgreSQL's; run with -Ppostgres");
    long now = System.currentTimeMillis();
    for (int i = 0; i < 5; i++) {
      insert("hot-" + i, "noop", 0, now - 1000, "PENDING", 0);
    }
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      int claimed =
          c.createStatement()
              .executeUpdate(
                  "UPDATE job SET lease_owner = 'me', lease_expires_at = "
                      + (now + 5000)
                      + " WHERE status = 'PENDING'");
      assertEquals(5, claimed);
      try (ResultSet rs =
          c.createStatement()
              .executeQuery(
                  "SELECT pg_stat_get_xact_tuples_hot_updated('" + pgSchema + ".job'::regclass)")) {
        rs.next();
        assertEquals(5, rs.getLong(1), "every claimed row was a HOT update");
      }
      c.rollback();
    }
  }

  @Test
  void reservesHighestPriorityThenOldestAndOnlyDueJobs() throws Exception {
    long now = System.currentTimeMillis();
    insert("old", "noop", 0, now - 3000, "PENDING", 0);
    insert("new", "noop", 0, now - 1000, "PENDING", 0);
    insert("urgent", "noop", 5, now, "PENDING", 0);
    insert("later", "noop", 9, now, "PENDING", now + 60_000);
    insert("done", "noop", 9, now, "COMPLETED", 0);
    List<ClaimedJob> first = reserve("me", 2, now, now + 10_000);
    assertEquals(List.of("urgent", "old"), ids(first));
    assertEquals(1, first.get(0).attempt(), "the attempt the run will be");
    assertEquals("v", first.get(0).data().get("k"));
    assertEquals(List.of("new"), ids(reserve("me", 5, now, now + 10_000)));
    assertEquals(List.of(), reserve("other", 5, now, now + 10_000), "reserved rows are taken");
  }

  @Test
  void aReservationIsInvisibleUntilTheRunStarts() throws Exception {
    long now = System.currentTimeMillis();
    insert("r", "noop", 0, now, "PENDING", 0);
    reserve("me", 1, now, now + 10_000);
    assertEquals("PENDING", row("r").get("status"));
    assertEquals(0L, ((Number) row("r").get("start_at")).longValue());
    assertEquals(0, row("r").get("attempt"));
    assertEquals("me", row("r").get("owner"));
    assertEquals(List.of(), events("r"), "a reservation writes no event");

    long startedAt = now + 5;
    assertEquals(
        Set.of(),
        queue.record("me", List.of(new RunStart("r", "noop", 1, startedAt)), List.of(), "e"));
    assertEquals("RUNNING", row("r").get("status"));
    assertEquals(startedAt, ((Number) row("r").get("start_at")).longValue());
    assertEquals(1, row("r").get("attempt"));
    assertEquals(List.of("PENDING>RUNNING@e"), events("r"));
    assertEquals(
        Set.of(),
        queue.record("me", List.of(new RunStart("r", "noop", 1, startedAt)), List.of(), "e"),
        "a start written twice is not refused (its result was opened first)");
    assertEquals(1, events("r").size());
  }

  @Test
  void aStartIsRefusedWhenTheJobChangedWhileReserved() throws Exception {
    long now = System.currentTimeMillis();
    insert("c", "noop", 0, now, "PENDING", 0);
    insert("t", "noop", 0, now + 1, "PENDING", 0);
    reserve("me", 2, now, now + 10_000);
    try (Connection c = ds.getConnection()) {
      c.createStatement().executeUpdate("UPDATE job SET status = 'CANCELED' WHERE id = 'c'");
      c.createStatement().executeUpdate("UPDATE job SET lease_owner = 'other' WHERE id = 't'");
    }
    Set<String> refused =
        queue.record(
            "me",
            List.of(new RunStart("c", "noop", 1, now), new RunStart("t", "noop", 1, now)),
            List.of(new RunOutcome("c", 1, Cause.SUCCEED, 100, Map.of(), null, null, 0, null)),
            "e");
    assertEquals(Set.of("c", "t"), refused);
    assertEquals("CANCELED", row("c").get("status"));
    assertEquals("PENDING", row("t").get("status"));
    assertEquals(List.of(), events("c"));
    assertEquals(List.of(), events("t"));
  }

  @Test
  void aRunThatStartedAndEndedBetweenWritesIsWrittenAtOnceWithBothEvents() throws Exception {
    long now = System.currentTimeMillis();
    insert("quick", "noop", 0, now, "PENDING", 0);
    insert("slow", "noop", 0, now + 1, "PENDING", 0);
    reserve("me", 2, now, now + 10_000);
    queue.record(
        "me",
        List.of(
            new RunStart("quick", "noop", 1, now + 1), new RunStart("slow", "noop", 1, now + 2)),
        List.of(
            new RunOutcome("quick", 1, Cause.SUCCEED, 7, Map.of(), null, null, 0, null),
            new RunOutcome("slow", 1, Cause.SUCCEED, 9, Map.of("n", "1"), null, null, 0, null)),
        "e");
    for (String id : List.of("quick", "slow")) {
      assertEquals("COMPLETED", row(id).get("status"));
      assertEquals(100, row(id).get("progress"));
      assertEquals(1, row(id).get("attempt"));
      assertEquals("null", row(id).get("owner"));
      assertEquals(List.of("PENDING>RUNNING@e", "RUNNING>COMPLETED@e"), events(id));
    }
    assertEquals(now + 1, ((Number) row("quick").get("start_at")).longValue());
    assertTrue(((String) row("slow").get("data")).contains("\"n\":\"1\""));
  }

  /**
   * The same job's start twice in one batch (its reservation expired while the instance could not
   * write, and the instance claimed it again before the first run's start was written): one start
   * applies, with its event; the ledger never writes a job's end without its start (the stress test
   * found a chain "to PENDING, then from RUNNING" on PostgreSQL).
   */
  @Test
  void aJobStartedTwiceInOneBatchGetsOneStartEventBeforeItsEnd() throws Exception {
    long now = System.currentTimeMillis();
    insert("twice", "noop", 0, now, "PENDING", 0);
    insert("plain", "noop", 0, now + 1, "PENDING", 0);
    reserve("me", 2, now, now + 10_000);
    RunOutcome withData =
        new RunOutcome("twice", 1, Cause.SUCCEED, 9, Map.of("n", "1"), null, null, 0, null);
    RunOutcome plain = new RunOutcome("plain", 1, Cause.SUCCEED, 7, Map.of(), null, null, 0, null);
    Set<String> refused =
        queue.record(
            "me",
            List.of(
                new RunStart("twice", "noop", 1, now + 1),
                new RunStart("plain", "noop", 1, now + 1),
                new RunStart("twice", "noop", 1, now + 2),
                new RunStart("plain", "noop", 1, now + 2)),
            List.of(withData, plain, withData, plain),
            "e");
    for (String id : List.of("twice", "plain")) {
      assertEquals("COMPLETED", row(id).get("status"), id);
      assertEquals(1, row(id).get("attempt"), id);
      assertEquals(List.of("PENDING>RUNNING@e", "RUNNING>COMPLETED@e"), events(id), id);
    }
    assertEquals(Set.of(), refused, "one of the two was written: the job's run did start");
  }

  /**
   * An old run's start written again (its commit applied but the answer was lost) in one batch with
   * the job's next attempt, after the job was recovered and claimed again: the old start is refused
   * alone, the new one gets its event, and the job is not told refused (its new run goes on).
   */
  @Test
  void aStaleStartBesideTheNextAttemptsStartLeavesTheNewOneItsEvent() throws Exception {
    long now = System.currentTimeMillis();
    insert("again", "noop", 0, now, "PENDING", 0);
    reserve("me", 1, now, now + 10_000);
    RunStart old = new RunStart("again", "noop", 1, now + 1);
    assertEquals(Set.of(), queue.record("me", List.of(old), List.of(), "e"));
    try (Connection c = ds.getConnection()) {
      // the lease expired and recovery gave the job back (as Recovery does, event included)
      c.createStatement()
          .executeUpdate(
              "UPDATE job SET status = 'PENDING', lease_owner = NULL, lease_expires_at = 0"
                  + " WHERE id = 'again'");
      c.createStatement()
          .executeUpdate(
              "INSERT INTO job_event (job_id, at, actor, old_status, new_status)"
                  + " VALUES ('again', 0, 'r', 'RUNNING', 'PENDING')");
    }
    reserve("me", 1, now, now + 10_000);
    RunOutcome ended =
        new RunOutcome("again", 2, Cause.SUCCEED, 5, Map.of("n", "2"), null, null, 0, null);
    Set<String> refused =
        queue.record(
            "me", List.of(old, new RunStart("again", "noop", 2, now + 3)), List.of(ended), "e");
    assertEquals(Set.of(), refused);
    assertEquals("COMPLETED", row("again").get("status"));
    assertEquals(2, row("again").get("attempt"));
    assertEquals(
        List.of(
            "PENDING>RUNNING@e", "RUNNING>PENDING@r", "PENDING>RUNNING@e", "RUNNING>COMPLETED@e"),
        events("again"));
  }

  @Test
  void aReservationGivenUpOrExpiredIsFreeForAnyInstanceAndWritesNoEvent() throws Exception {
    long now = System.currentTimeMillis();
    insert("g", "noop", 0, now, "PENDING", 0);
    insert("x", "noop", 0, now + 1, "PENDING", 0);
    reserve("me", 2, now, now + 1000);
    assertEquals(1, queue.release("me", List.of("g")));
    assertEquals("null", row("g").get("owner"));
    assertEquals(List.of("g"), ids(reserve("other", 5, now, now + 5000)));
    assertEquals(List.of("x"), ids(reserve("other", 5, now + 1001, now + 5000)), "expired");
    assertEquals(List.of(), events("g"));
    assertEquals(List.of(), events("x"));
  }

  @Test
  void reserveSkipsExcludedJobs() throws Exception {
    long now = System.currentTimeMillis();
    insert("a", "sleep", 0, now - 3, "PENDING", 0);
    insert("b", "noop", 0, now - 2, "PENDING", 0);
    assertEquals(
        List.of("a"), ids(queue.reserve("me", 5, now, now + 1000, Map.of(), List.of("b"))));
  }

  @Test
  void aLimitedTypeTakesItsTurnByPriorityAheadOfABacklogOfOthers() throws Exception {
    // the issue's case: a backlog of an unlimited type, then a limited type at priority 1000
    long now = System.currentTimeMillis();
    for (int i = 0; i < 20; i++) {
      insert("s" + i, "sleep", 0, now - 100 + i, "PENDING", 0);
    }
    insert("r1", "retention", 1000, now - 10, "PENDING", 0);
    insert("r2", "retention", 1000, now - 9, "PENDING", 0);
    List<ClaimedJob> claimed =
        queue.reserve("me", 4, now, now + 1000, Map.of("retention", 1), List.of());
    assertEquals(List.of("r1", "s0", "s1", "s2"), ids(claimed), "priority first, at most 1 of r");
  }

  @Test
  void aTypeAtItsLimitIsSkippedNotWaitedFor() throws Exception {
    long now = System.currentTimeMillis();
    insert("r1", "retention", 1000, now - 10, "PENDING", 0);
    insert("s1", "sleep", 0, now - 5, "PENDING", 0);
    insert("s2", "sleep", 0, now - 4, "PENDING", 0);
    assertEquals(
        List.of("s1", "s2"),
        ids(queue.reserve("me", 2, now, now + 1000, Map.of("retention", 0), List.of())));
  }

  @Test
  void limitedTypesMergeWithTheOthersInCreationOrderAtEqualPriority() throws Exception {
    long now = System.currentTimeMillis();
    insert("a", "sleep", 5, now - 4, "PENDING", 0);
    insert("b", "single", 5, now - 3, "PENDING", 0);
    insert("c", "other", 5, now - 2, "PENDING", 0);
    insert("d", "single", 5, now - 1, "PENDING", 0);
    insert("e", "sleep", 5, now, "PENDING", 0);
    assertEquals(
        List.of("a", "b", "c", "d"),
        ids(queue.reserve("me", 4, now, now + 1000, Map.of("single", 2, "other", 3), List.of())));
  }

  @Test
  void finishRecordsOutcomesButNeverOverwritesACancel() throws Exception {
    long now = System.currentTimeMillis();
    insert("ok", "noop", 0, now, "PENDING", 0);
    insert("bad", "noop", 0, now, "PENDING", 0);
    insert("stopped", "noop", 0, now, "PENDING", 0);
    claimAndStart("me", 3, now + 10_000);
    try (Connection c = ds.getConnection()) {
      c.createStatement()
          .executeUpdate("UPDATE job SET status = 'CANCEL_REQUESTED' WHERE id = 'stopped'");
      c.createStatement().executeUpdate("UPDATE job SET max_attempts = 1 WHERE id = 'bad'");
    }
    int changed =
        queue.finish(
            "me",
            List.of(
                new RunOutcome(
                    "ok", 1, Cause.SUCCEED, 100, Map.of("count", "3"), null, null, 0, null),
                new RunOutcome("bad", 1, Cause.FAIL, 40, Map.of(), "boom", "trace", 0, "boom"),
                new RunOutcome("stopped", 1, Cause.SUCCEED, 100, Map.of(), null, null, 0, null)),
            "e");
    assertEquals(3, changed);
    assertEquals("COMPLETED", row("ok").get("status"));
    assertTrue(((String) row("ok").get("data")).contains("\"count\":\"3\""));
    assertEquals("FAILED", row("bad").get("status"));
    assertEquals(-1, row("bad").get("progress"));
    assertTrue(((String) row("bad").get("data")).contains("\"error\":\"boom\""));
    assertEquals("CANCELED", row("stopped").get("status"));
    assertEquals("null", row("ok").get("owner"));
  }

  @Test
  void plainOutcomesOfManyJobsApplyOnlyWhereTheRunStillOwnsItsJob() throws Exception {
    long now = System.currentTimeMillis();
    for (String id : List.of("a", "b", "mine-canceled", "theirs", "old-attempt", "gone")) {
      insert(id, "noop", 0, now, "PENDING", 0);
    }
    insert("never-claimed", "noop", 0, now + 1, "PENDING", 0);
    assertEquals(6, claimAndStart("me", 6, now + 10_000).size());
    try (Connection c = ds.getConnection()) {
      c.createStatement()
          .executeUpdate("UPDATE job SET status = 'CANCEL_REQUESTED' WHERE id = 'mine-canceled'");
      c.createStatement().executeUpdate("UPDATE job SET lease_owner = 'x' WHERE id = 'theirs'");
      c.createStatement().executeUpdate("UPDATE job SET attempt = 2 WHERE id = 'old-attempt'");
      c.createStatement().executeUpdate("DELETE FROM job_event WHERE job_id = 'gone'");
      c.createStatement().executeUpdate("DELETE FROM job WHERE id = 'gone'");
    }
    List<RunOutcome> outcomes = new ArrayList<>();
    for (String id :
        List.of("a", "b", "mine-canceled", "theirs", "old-attempt", "gone", "never-claimed")) {
      outcomes.add(new RunOutcome(id, 1, Cause.SUCCEED, 100, Map.of(), null, null, 0, null));
    }
    outcomes.add(new RunOutcome("b", 1, Cause.WARN, 30, Map.of(), null, null, 0, "careful"));

    assertEquals(3, queue.finish("me", outcomes, "e"));

    // the last outcome given for a job is the one recorded
    assertEquals("COMPLETED", row("a").get("status"));
    assertEquals(100, row("a").get("progress"));
    assertEquals("null", row("a").get("owner"));
    assertEquals("WARNING", row("b").get("status"));
    assertEquals(100, row("b").get("progress"));
    assertEquals("CANCELED", row("mine-canceled").get("status"));
    assertEquals(List.of("PENDING>RUNNING@e", "RUNNING>COMPLETED@e"), events("a"));
    assertEquals(List.of("PENDING>RUNNING@e", "RUNNING>WARNING@e"), events("b"));
    assertEquals(
        List.of("PENDING>RUNNING@e", "CANCEL_REQUESTED>CANCELED@e"), events("mine-canceled"));
    assertEquals("RUNNING", row("theirs").get("status"));
    assertEquals("x", row("theirs").get("owner"));
    assertEquals("RUNNING", row("old-attempt").get("status"));
    assertEquals("PENDING", row("never-claimed").get("status"));
    assertEquals(1, events("theirs").size());
    assertEquals(1, events("old-attempt").size());
  }

  @Test
  void finishIgnoresARunThatNoLongerOwnsItsJob() throws Exception {
    long now = System.currentTimeMillis();
    insert("j", "noop", 0, now, "PENDING", 0);
    claimAndStart("me", 1, now + 10_000);
    assertEquals(
        0,
        queue.finish(
            "other",
            List.of(new RunOutcome("j", 1, Cause.SUCCEED, 100, Map.of(), null, null, 0, null)),
            "e"));
    assertEquals(
        0,
        queue.finish(
            "me",
            List.of(new RunOutcome("j", 2, Cause.SUCCEED, 100, Map.of(), null, null, 0, null)),
            "e"));
    assertEquals("RUNNING", row("j").get("status"));
  }

  @Test
  void expiredLeasesAreRecoveredOnceBeyondTheAttemptsElseFailed() throws Exception {
    long now = System.currentTimeMillis();
    insert("retry", "noop", 0, now, "PENDING", 0);
    claimAndStart("dead", 1, now - 1);
    assertEquals(1, queue.recoverExpired(now, 100, "engine:x"));
    assertEquals("PENDING", row("retry").get("status"));
    claimAndStart("dead", 1, now - 1);
    assertEquals(2, row("retry").get("attempt"));
    assertEquals(1, queue.recoverExpired(now, 100, "engine:x"));
    assertEquals("PENDING", row("retry").get("status"), "a lost instance costs no attempt, once");
    claimAndStart("dead", 1, now - 1);
    assertEquals(3, row("retry").get("attempt"));
    assertEquals(1, queue.recoverExpired(now, 100, "engine:x"));
    assertEquals("FAILED", row("retry").get("status"));
    assertTrue(((String) row("retry").get("data")).contains("no attempts left"));
    assertEquals(
        List.of(
            "PENDING>RUNNING@e",
            "RUNNING>PENDING@engine:x",
            "PENDING>RUNNING@e",
            "RUNNING>PENDING@engine:x",
            "PENDING>RUNNING@e",
            "RUNNING>FAILED@engine:x"),
        events("retry"));
    assertCountsMatchTheTable();
  }

  @Test
  void handBackReturnsRunningJobsWithoutUsingAnAttempt() throws Exception {
    long now = System.currentTimeMillis();
    insert("h", "noop", 0, now, "PENDING", 0);
    claimAndStart("me", 1, now + 10_000);
    assertEquals(1, queue.handBack("me", List.of("h"), List.of(), "e", "shutting down"));
    assertEquals("PENDING", row("h").get("status"));
    assertEquals(0, row("h").get("attempt"));
    assertCountsMatchTheTable();
  }

  @Test
  void leasesAndProgressAreWrittenForThisInstanceOnly() throws Exception {
    long now = System.currentTimeMillis();
    insert("p", "noop", 0, now, "PENDING", 0);
    claimAndStart("me", 1, now + 1000);
    insert("q", "noop", 0, now, "PENDING", 0);
    reserve("me", 1, now, now + 1000); // a reservation nobody holds any more
    assertEquals(1, queue.extendLeases("me", List.of("p"), now + 60_000));
    assertEquals(0, queue.extendLeases("other", List.of("p", "q"), now + 60_000));
    assertEquals(now + 60_000, row("p").get("lease"));
    assertEquals(now + 1000, row("q").get("lease"), "only the jobs named are extended");
    queue.progress("me", List.of(new ProgressUpdate("p", 1, 42, now)));
    queue.progress("other", List.of(new ProgressUpdate("p", 1, 99, now)));
    assertEquals(42, row("p").get("progress"));
    assertEquals(JobStatus.RUNNING, queue.states(List.of("p")).get("p").status());
  }

  /**
   * A job that failed 500 times and was requeued 500 times in between keeps the latest ten stack
   * traces, each cut to 16,000 characters, and one error: its row does not grow with its history.
   * The lists read it so (the v1 list shows the traces).
   */
  @Test
  void aJobFailedAndRequeuedAThousandTimesKeepsItsLatestTenTracesEachCut() throws Exception {
    long now = System.currentTimeMillis();
    insert("f", "noop", 0, now, "PENDING", 0);
    try (Connection c = ds.getConnection()) {
      c.createStatement().executeUpdate("UPDATE job SET max_attempts = 100000 WHERE id = 'f'");
    }
    String frames = "\tat dev.jobserver.Frame.run(Frame.java:1)\n".repeat(500); // 21,000 chars
    for (int i = 0; i < 1000; i++) {
      List<ClaimedJob> run = claimAndStart("me", 1, System.currentTimeMillis() + 60_000);
      assertEquals(1, run.size(), "round " + i);
      if (i % 2 == 1) {
        // requeued by a client while it runs
        queue.change(
            "f", JobLifecycle.causeOfPatch(JobStatus.PENDING, false), "c", "requeue", t -> 100000);
        // the lease stays with the run's instance until its thread has returned
        assertEquals("me", row("f").get("owner"));
        queue.release("me", List.of("f"));
      } else {
        queue.finish(
            "me",
            List.of(
                new RunOutcome(
                    "f",
                    run.get(0).attempt(),
                    Cause.FAIL,
                    0,
                    Map.of(),
                    "boom " + i,
                    "trace " + i + "\n" + frames,
                    0,
                    "boom " + i)),
            "e");
      }
    }
    List<String> traces =
        dev.jobserver.job.JobData.listFromJson(
            rowText("SELECT stacktrace FROM job WHERE id = 'f'"));
    assertEquals(RunLedger.MAX_TRACES, traces.size());
    for (int k = 0; k < traces.size(); k++) {
      int round = 1000 - 2 * (traces.size() - k);
      assertTrue(traces.get(k).startsWith("trace " + round + "\n"), k + ": " + round);
      assertEquals(RunLedger.MAX_TRACE_LENGTH, traces.get(k).length());
    }
    String data = rowText("SELECT data FROM job WHERE id = 'f'");
    // the last failure's error, or none once the requeue after it cleared it: one value either way
    assertTrue(
        Set.of(Map.of("k", "v"), Map.of("k", "v", "error", "boom 998"))
            .contains(dev.jobserver.job.JobData.fromJson(data)),
        data);
    List<dev.jobserver.job.JobRecord> listed = new ArrayList<>();
    JobReads.over(ds)
        .list(
            dev.jobserver.job.JobQuery.oldestFirst(),
            dev.jobserver.job.JobFields.WITHOUT_DATA,
            listed::add);
    assertEquals(traces, listed.get(0).stacktrace());
  }

  private String rowText(String sql) throws Exception {
    try (Connection c = ds.getConnection();
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
