package dev.jobserver.store;

import dev.jobserver.job.JobStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The counts one transaction changes: jobs by type and status ({@code job_count}) and runs ended
 * per type and minute ({@code job_minute}), applied at the end of the transaction that made the
 * changes. Rows are updated in key order, so that two transactions never wait for each other in a
 * cycle; they hold the counters' locks only until their commit.
 *
 * <p>A count by type and status is split into {@link #SLOTS} rows (liquibase 009): a transaction
 * adds all its deltas to one slot, the next in turn, and readers sum the slots. Creates and endings
 * of one type then wait for each other's counter rows only when they hold the same slot (two
 * transactions that apply one after the other never do), where with one row each create queued
 * behind every ending of its type.
 */
final class JobCounts {

  /** Rows per type and status in {@code job_count}. */
  static final int SLOTS = 16;

  private static final AtomicInteger NEXT_SLOT = new AtomicInteger();

  private final Map<String, long[]> byTypeStatus = new TreeMap<>();
  private final Map<String, long[]> byTypeMinute = new TreeMap<>();

  /** What the listener is told once the transaction has committed (see {@link #publish}). */
  private final List<Consumer<StoreListener>> news = new ArrayList<>();

  /** A job of this type came into being with this status. */
  void created(String type, JobStatus status) {
    add(type, status, 1);
    news.add(l -> l.created(type));
  }

  /** A run of a job of this type started {@code waitMillis} after the job was due. */
  void started(String type, long waitMillis) {
    news.add(l -> l.started(type, Math.max(0, waitMillis)));
  }

  /** A job of this type left this status (deleted). */
  void deleted(String type, JobStatus status) {
    add(type, status, -1);
  }

  void changed(String type, JobStatus from, JobStatus to) {
    if (from != to) {
      add(type, from, -1);
      add(type, to, 1);
    }
  }

  /**
   * A job of this type finished in this status at {@code at} (epoch ms), after a run of {@code
   * runMillis} (negative: it never ran): counted in the minute's throughput (and failures).
   */
  void runEnded(String type, JobStatus to, long at, long runMillis) {
    news.add(l -> l.finished(type, to, runMillis));
    long[] m = byTypeMinute.computeIfAbsent(type + '\n' + (at / 60_000), k -> new long[4]);
    m[0]++;
    if (to == JobStatus.FAILED) {
      m[1]++;
    }
    if (runMillis >= 0) {
      m[2] += runMillis;
      m[3]++;
    }
  }

  private void add(String type, JobStatus status, long delta) {
    byTypeStatus.computeIfAbsent(type + '\n' + status.name(), k -> new long[1])[0] += delta;
  }

  /**
   * Tells the listener what this transaction did; call it once the transaction has committed. A
   * listener that throws loses its news, never the change.
   */
  void publish(StoreListener listener) {
    try {
      for (Consumer<StoreListener> n : news) {
        n.accept(listener);
      }
    } catch (RuntimeException ignored) {
      // metrics are not worth a failed change
    } finally {
      news.clear();
    }
  }

  boolean isEmpty() {
    return byTypeStatus.isEmpty() && byTypeMinute.isEmpty();
  }

  /** Applies the counts in the transaction of {@code c}. */
  void apply(Connection c, boolean postgres) throws SQLException {
    if (!byTypeStatus.isEmpty()) {
      int slot = Math.floorMod(NEXT_SLOT.getAndIncrement(), SLOTS);
      try (PreparedStatement ps = c.prepareStatement(postgres ? PG_COUNT : H2_COUNT)) {
        for (Map.Entry<String, long[]> e : byTypeStatus.entrySet()) {
          if (e.getValue()[0] == 0) {
            continue;
          }
          String[] key = e.getKey().split("\n", 2);
          ps.setString(1, key[0]);
          ps.setString(2, key[1]);
          ps.setInt(3, slot);
          ps.setLong(4, e.getValue()[0]);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    if (!byTypeMinute.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement(postgres ? PG_MINUTE : H2_MINUTE)) {
        for (Map.Entry<String, long[]> e : byTypeMinute.entrySet()) {
          String[] key = e.getKey().split("\n", 2);
          long[] v = e.getValue();
          ps.setString(1, key[0]);
          ps.setLong(2, Long.parseLong(key[1]));
          ps.setLong(3, v[0]);
          ps.setLong(4, v[1]);
          ps.setLong(5, v[2]);
          ps.setLong(6, v[3]);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    byTypeStatus.clear();
    byTypeMinute.clear();
  }

  private static final String PG_COUNT =
      "INSERT INTO job_count (type, status, slot, n) VALUES (?, ?, ?, ?)"
          + " ON CONFLICT (type, status, slot) DO UPDATE SET n = job_count.n + EXCLUDED.n";

  // H2 is embedded, one instance: MERGE cannot race with another inserting the same key
  private static final String H2_COUNT =
      "MERGE INTO job_count t USING (VALUES (CAST(? AS VARCHAR(32)), CAST(? AS VARCHAR(20)),"
          + " CAST(? AS SMALLINT), CAST(? AS BIGINT))) s(type, status, slot, n)"
          + " ON t.type = s.type AND t.status = s.status AND t.slot = s.slot"
          + " WHEN MATCHED THEN UPDATE SET n = t.n + s.n"
          + " WHEN NOT MATCHED THEN INSERT (type, status, slot, n)"
          + " VALUES (s.type, s.status, s.slot, s.n)";

  private static final String PG_MINUTE =
      "INSERT INTO job_minute (type, at_minute, finished, failed, run_ms, runs)"
          + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (type, at_minute) DO UPDATE SET"
          + " finished = job_minute.finished + EXCLUDED.finished,"
          + " failed = job_minute.failed + EXCLUDED.failed,"
          + " run_ms = job_minute.run_ms + EXCLUDED.run_ms, runs = job_minute.runs + EXCLUDED.runs";

  private static final String H2_MINUTE =
      "MERGE INTO job_minute t USING (VALUES (CAST(? AS VARCHAR(32)), CAST(? AS BIGINT),"
          + " CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)))"
          + " s(type, at_minute, finished, failed, run_ms, runs)"
          + " ON t.type = s.type AND t.at_minute = s.at_minute"
          + " WHEN MATCHED THEN UPDATE SET finished = t.finished + s.finished,"
          + " failed = t.failed + s.failed, run_ms = t.run_ms + s.run_ms, runs = t.runs + s.runs"
          + " WHEN NOT MATCHED THEN INSERT (type, at_minute, finished, failed, run_ms, runs)"
          + " VALUES (s.type, s.at_minute, s.finished, s.failed, s.run_ms, s.runs)";
}
