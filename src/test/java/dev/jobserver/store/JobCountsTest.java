package dev.jobserver.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jobserver.job.JobStatus;
import java.sql.Connection;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The counters by type and status: kept in slots so that a create does not queue behind an ending
 * of its type that holds the counter row (issue 25), and read as their sums.
 */
class JobCountsTest {

  private final TestDatabase db = new TestDatabase();

  @AfterEach
  void close() throws Exception {
    db.close();
  }

  @Test
  void aCreateDoesNotWaitForTheCounterRowsOfAnOpenEnding() throws Exception {
    try (Connection ending = db.ds.getConnection();
        Connection create = db.ds.getConnection()) {
      ending.setAutoCommit(false);
      create.setAutoCommit(false);
      // the ending has moved a job PENDING -> COMPLETED and holds its counter rows, uncommitted
      JobCounts end = new JobCounts();
      end.changed("noop", JobStatus.PENDING, JobStatus.COMPLETED);
      end.apply(ending, db.isPostgres());
      // a create of the same type, meanwhile: with one row per type and status it waited for the
      // ending's commit; it must not wait at all (the lock wait is cut at 1 s)
      lockTimeoutOneSecond(create);
      JobCounts created = new JobCounts();
      created.created("noop", JobStatus.PENDING);
      created.created("noop", JobStatus.PENDING);
      created.apply(create, db.isPostgres());
      create.commit();
      ending.commit();
    }
    assertEquals(Map.of("noop/PENDING", 1L, "noop/COMPLETED", 1L), counts(), "the sums");
  }

  @Test
  void theSumsStayExactAcrossManySlotsAndReachZero() throws Exception {
    for (int i = 0; i < 3 * JobCounts.SLOTS; i++) {
      try (Connection c = db.ds.getConnection()) {
        JobCounts counts = new JobCounts();
        counts.created("sleep", JobStatus.PENDING);
        if (i % 3 == 0) {
          counts.changed("sleep", JobStatus.PENDING, JobStatus.RUNNING);
        }
        counts.apply(c, db.isPostgres());
      }
    }
    for (int i = 0; i < JobCounts.SLOTS; i++) {
      try (Connection c = db.ds.getConnection()) {
        JobCounts counts = new JobCounts();
        counts.deleted("sleep", JobStatus.RUNNING);
        counts.apply(c, db.isPostgres());
      }
    }
    // 48 created, 16 of them moved to RUNNING, then those 16 deleted: no RUNNING row is reported
    assertEquals(Map.of("sleep/PENDING", 32L), counts());
    assertEquals(
        String.valueOf(JobCounts.SLOTS),
        db.one("SELECT COUNT(*) FROM job_count WHERE type = 'sleep' AND status = 'PENDING'"),
        "one row per slot");
  }

  private static void lockTimeoutOneSecond(Connection c) throws Exception {
    c.createStatement()
        .execute(
            c.getMetaData().getDatabaseProductName().contains("PostgreSQL")
                ? "SET LOCAL lock_timeout = '1s'"
                : "SET LOCK_TIMEOUT 1000");
  }

  /** The counts as the stats read them. */
  private Map<String, Long> counts() throws Exception {
    Map<String, Long> out = new java.util.TreeMap<>();
    StatsReads.over(db.ds)
        .counts()
        .forEach((type, byStatus) -> byStatus.forEach((s, n) -> out.put(type + "/" + s, n)));
    return out;
  }
}
