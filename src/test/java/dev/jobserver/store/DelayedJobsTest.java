package dev.jobserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jobserver.job.Job;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Jobs due later (a run_at, a retry's backoff) are marked {@code delayed} and kept out of the claim
 * index until they are due, so that a claim costs the same with 100,000 of them waiting as with
 * none (issue 20, finding 8).
 */
class DelayedJobsTest {

  private final TestDatabase db = new TestDatabase();
  private final JobStore queue = new JobStore(db.ds);

  @AfterEach
  void close() throws Exception {
    db.close();
  }

  @Test
  void aJobDueLaterIsMarkedAndClaimedByTheFirstClaimOnceDueNotBefore() throws Exception {
    long now = System.currentTimeMillis();
    Job later = new Job("later", "noop", 0, now, Map.of());
    later.setRunAfter(now + 60_000);
    Job plain = new Job("plain", "noop", 0, now, Map.of());
    queue.insertAll(List.of(later, plain));
    assertEquals(true, delayed("later"));
    assertEquals(false, delayed("plain"));

    assertEquals(
        List.of("plain"), ids(queue.reserve("a", 10, now, now + 120_000, Map.of(), List.of())));
    assertEquals(
        List.of(), ids(queue.reserve("a", 10, now + 59_999, now + 65_000, Map.of(), List.of())));
    assertEquals(true, delayed("later"));
    // due: the claim clears the mark and takes it in the same transaction
    assertEquals(
        List.of("later"),
        ids(queue.reserve("a", 10, now + 60_000, now + 65_000, Map.of(), List.of())));
    assertEquals(false, delayed("later"));
  }

  @Test
  void aMarkLeftOnADueJobOrMissingOnAFutureOneChangesNoClaim() throws Exception {
    long now = System.currentTimeMillis();
    queue.insertAll(
        List.of(new Job("a", "noop", 5, now, Map.of()), new Job("b", "noop", 0, now, Map.of())));
    // written behind the store's back: a due job still marked, a future one not marked
    update("UPDATE job SET delayed = TRUE WHERE id = 'a'");
    update("UPDATE job SET run_after = " + (now + 60_000) + " WHERE id = 'b'");
    assertEquals(
        List.of("a"), ids(queue.reserve("x", 10, now, now + 120_000, Map.of(), List.of())));
    assertEquals(
        List.of("b"), ids(queue.reserve("x", 10, now + 60_000, now + 65_000, Map.of(), List.of())));
  }

  /**
   * The claim's reads, counted by PostgreSQL (rows read on the job table through its indexes and by
   * sequential scans): with 100,000 delayed jobs of a higher priority ahead of the one due job, a
   * handful; when 150 of them become due, about those; the same rows unmarked, as every job was
   * before the mark, all of them.
   */
  @Test
  void aClaimReadsNoneOfAHundredThousandDelayedJobsAhead() throws Exception {
    assumeTrue(db.isPostgres(), "counted with PostgreSQL's statistics; run with -Ppostgres");
    long now = System.currentTimeMillis();
    update(
        "INSERT INTO job (id, type, priority, create_at, status, data, run_after, delayed)"
            + " SELECT 'd-' || g, 'noop', 9, "
            + (now - 10_000)
            + ", 'PENDING', '{}', "
            + (now + 3_600_000)
            + ", TRUE FROM generate_series(1, 100000) g");
    queue.insertAll(List.of(new Job("due", "noop", 0, now, Map.of())));

    long before = settledReads();
    assertEquals(
        List.of("due"), ids(queue.reserve("a", 10, now, now + 5_000, Map.of(), List.of())));
    long marked = settledReads() - before;

    // 150 of them become due: the claim promotes them through their own index, then takes them
    update(
        "UPDATE job SET run_after = "
            + (now - 1)
            + " WHERE id IN (SELECT 'd-' || g"
            + " FROM generate_series(1, 150) g)");
    before = settledReads();
    assertEquals(10, queue.reserve("a", 10, now, now + 5_000, Map.of(), List.of()).size());
    long promoted = settledReads() - before;
    assertEquals("150", db.one("SELECT COUNT(*) FROM job WHERE delayed = FALSE AND id LIKE 'd-%'"));

    update("UPDATE job SET lease_owner = NULL, lease_expires_at = 0 WHERE id = 'due'");
    update(
        "UPDATE job SET lease_owner = NULL, lease_expires_at = 0, run_after = "
            + (now + 3_600_000)
            + " WHERE id LIKE 'd-%'");
    update("UPDATE job SET delayed = FALSE");
    before = settledReads();
    assertEquals(List.of("due"), ids(queue.reserve("b", 1, now, now + 5_000, Map.of(), List.of())));
    long unmarked = settledReads() - before;

    assertTrue(marked <= 10, "rows read by a claim past 100,000 delayed jobs: " + marked);
    assertTrue(promoted <= 2_000, "rows read by the claim that promoted 150: " + promoted);
    assertTrue(unmarked >= 100_000, "the same claim without the mark (the control): " + unmarked);
  }

  /**
   * A claim of 10 from a queue of 20,000 due jobs in a table PostgreSQL has no statistics of (never
   * analysed: autovacuum off, or not yet): it walks the claim index in order and stops, where the
   * planner's own choice was a bitmap scan of all 20,000 and a sort, every claim (bench: drain
   * 0.74x).
   */
  @Test
  void aClaimOfTenFromTwentyThousandQueuedReadsAboutTenWithoutStatistics() throws Exception {
    assumeTrue(db.isPostgres(), "counted with PostgreSQL's statistics; run with -Ppostgres");
    long now = System.currentTimeMillis();
    update(
        "INSERT INTO job (id, type, priority, create_at, status, data)"
            + " SELECT lpad(to_hex(g), 26, '0'), 'noop', 0, "
            + now
            + ", 'PENDING', '{}' FROM generate_series(1, 20000) g");
    long before = settledReads();
    List<ClaimedJob> claimed = queue.reserve("a", 10, now, now + 5_000, Map.of(), List.of());
    long read = settledReads() - before;
    assertEquals(10, claimed.size());
    assertEquals(lpad(1), claimed.get(0).id(), "the oldest first");
    assertTrue(read <= 100, "rows read by a claim of 10 from 20,000 queued: " + read);
  }

  private static String lpad(int n) {
    return "0".repeat(25) + Integer.toHexString(n);
  }

  private boolean delayed(String id) {
    return "yes"
        .equals(
            db.one("SELECT CASE WHEN delayed THEN 'yes' ELSE 'no' END FROM job WHERE id = ?", id));
  }

  private void update(String sql) throws Exception {
    try (Connection c = db.ds.getConnection()) {
      c.createStatement().executeUpdate(sql);
    }
  }

  /**
   * Rows read on the job table so far (through indexes, and by sequential scans), once the counters
   * have settled: a connection's statistics reach the views when it closes, a little after.
   */
  private long settledReads() throws Exception {
    long last = -1;
    for (int stable = 0, i = 0; stable < 3 && i < 100; i++) {
      Thread.sleep(200);
      long n = reads();
      stable = n == last ? stable + 1 : 0;
      last = n;
    }
    return last;
  }

  private long reads() throws Exception {
    try (Connection c = db.ds.getConnection();
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT (SELECT COALESCE(SUM(idx_tup_read), 0) FROM pg_stat_user_indexes"
                        + " WHERE relname = 'job' AND schemaname = current_schema())"
                        + " + (SELECT COALESCE(SUM(seq_tup_read), 0) FROM pg_stat_user_tables"
                        + " WHERE relname = 'job' AND schemaname = current_schema())")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static List<String> ids(List<ClaimedJob> jobs) {
    return jobs.stream().map(ClaimedJob::id).toList();
  }
}
