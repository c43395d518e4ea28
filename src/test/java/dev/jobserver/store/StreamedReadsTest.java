package dev.jobserver.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.job.JobFields;
import dev.jobserver.job.JobPages;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.JobResultInfo;
import dev.jobserver.job.JobStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.Writer;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a slow or stalled client costs: lists, downloads and the CSV export hand their output on
 * with no database connection held (so a client that stops reading holds none), read big jobs a few
 * at a time, and still give exactly what one query over the same rows gives. On H2, or with {@code
 * -Ppostgres} PostgreSQL as well.
 */
class StreamedReadsTest {

  private TestDatabase db;
  private Watched watched;
  private JobReads reads;
  private ResultStore results;

  @BeforeEach
  void setUp() {
    db = new TestDatabase();
    watched = new Watched(db.ds);
    reads = JobReads.over(watched.ds);
    results = ResultStore.over(watched.ds);
  }

  @AfterEach
  void tearDown() throws Exception {
    db.close();
  }

  /**
   * The data source the code under test gets: counts the connections open now, and records every
   * fetch size asked of a statement or a result set.
   */
  static final class Watched {
    final AtomicInteger open = new AtomicInteger();
    final List<Integer> fetchSizes = Collections.synchronizedList(new ArrayList<>());
    final DataSource ds;

    Watched(DataSource real) {
      ds =
          proxy(
              DataSource.class,
              real,
              (m, args, result) -> {
                if (result instanceof Connection c) {
                  open.incrementAndGet();
                  return connection(c);
                }
                return result;
              });
    }

    private Connection connection(Connection real) {
      boolean[] closed = {false};
      return proxy(
          Connection.class,
          real,
          (m, args, result) -> {
            if (m.equals("close") && !closed[0]) {
              closed[0] = true;
              open.decrementAndGet();
            }
            if (result instanceof PreparedStatement ps) {
              return statement(ps);
            }
            return result;
          });
    }

    private PreparedStatement statement(PreparedStatement real) {
      return proxy(
          PreparedStatement.class,
          real,
          (m, args, result) -> {
            if (m.equals("setFetchSize")) {
              fetchSizes.add((Integer) args[0]);
            }
            if (result instanceof ResultSet rs) {
              return proxy(
                  ResultSet.class,
                  rs,
                  (m2, args2, r2) -> {
                    if (m2.equals("setFetchSize")) {
                      fetchSizes.add((Integer) args2[0]);
                    }
                    return r2;
                  });
            }
            return result;
          });
    }

    interface After {
      Object apply(String method, Object[] args, Object result) throws Exception;
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, T real, After after) {
      InvocationHandler h =
          (p, m, args) -> {
            Object result;
            try {
              result = m.invoke(real, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
            return after.apply(m.getName(), args, result);
          };
      return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, h);
    }
  }

  private void assertNoConnectionHeld(String where) {
    assertEquals(0, watched.open.get(), where + ": a database connection is held");
  }

  /** Inserts a finished job with this much data (one value of x's) and two stack traces. */
  private void insert(String id, String type, String status, long createAt, int dataChars)
      throws Exception {
    try (Connection c = db.ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO job (id, type, priority, create_at, status, data, stacktrace)"
                    + " VALUES (?, ?, 0, ?, ?, ?, ?)")) {
      ps.setString(1, id);
      ps.setString(2, type);
      ps.setLong(3, createAt);
      ps.setString(4, status);
      ps.setString(5, "{\"blob\":\"" + "x".repeat(dataChars) + "\",\"n\":\"" + id + "\"}");
      ps.setString(6, "[\"first trace of " + id + "\",\"second\"]");
      ps.executeUpdate();
    }
  }

  /** The ids a plain query (one statement, the list order) gives. */
  private List<String> oneQuery(String where, boolean newestFirst) {
    String dir = newestFirst ? "DESC" : "ASC";
    return db.rows(
        "SELECT id FROM job WHERE " + where + " ORDER BY create_at " + dir + ", id " + dir);
  }

  private List<String> listed(JobQuery q, JobFields fields) throws Exception {
    List<String> ids = new ArrayList<>();
    reads.list(
        q,
        fields,
        job -> {
          assertNoConnectionHeld("handing on job " + job.id());
          ids.add(job.id());
        });
    assertNoConnectionHeld("after the list");
    return ids;
  }

  @Test
  void aListHandsOnEveryJobWithNoConnectionHeldInTheOrderOfOneQuery() throws Exception {
    List<String> types = List.of("noop", "sleep", "job_export");
    List<String> statuses = List.of("COMPLETED", "FAILED", "CANCELED");
    for (int i = 0; i < 260; i++) {
      // ids not in create order, several jobs per create_at; every 20th job is big (300 KB)
      insert(
          String.format("%026d", (i * 7919L) % 100_003),
          types.get(i % 3),
          statuses.get((i / 3) % 3),
          1_000_000L + i / 4,
          i % 20 == 0 ? 300_000 : 10);
    }
    // the v4 list: page 3 of 60, newest first
    assertEquals(
        oneQuery("1 = 1", true).subList(180, 240),
        listed(
            new JobQuery(List.of(), List.of(), null, null, null, true, null, 180, 60),
            JobFields.WITHOUT_TRACES));
    // the v4 list of a type and a status mapping to two statuses (a merge of two branches)
    Set<JobStatus> two = Set.of(JobStatus.COMPLETED, JobStatus.CANCELED);
    assertEquals(
        oneQuery("type = 'sleep' AND status IN ('COMPLETED', 'CANCELED')", true),
        listed(
            new JobQuery(List.of("sleep"), two, null, null, null, true, null, 0, 200),
            JobFields.WITHOUT_TRACES));
    // the v1 list: every job, oldest first
    assertEquals(oneQuery("1 = 1", false), listed(JobQuery.oldestFirst(), JobFields.WITHOUT_DATA));
    // the native search
    assertEquals(
        oneQuery("status IN ('COMPLETED', 'FAILED')", true).subList(0, 101),
        listed(
            new JobQuery(
                List.of(),
                Set.of(JobStatus.COMPLETED, JobStatus.FAILED),
                null,
                null,
                null,
                true,
                null,
                0,
                101),
            JobFields.WITH_RESULTS));
  }

  @Test
  void aListReadsOnlyTheFieldsItsViewShows() throws Exception {
    insert("a", "noop", "COMPLETED", 1, 5);
    List<JobRecord> taipy = new ArrayList<>();
    reads.list(JobQuery.oldestFirst(), JobFields.WITHOUT_DATA, taipy::add);
    assertNull(taipy.get(0).dataJson());
    assertEquals(List.of("first trace of a", "second"), taipy.get(0).stacktrace());
    List<JobRecord> mattermost = new ArrayList<>();
    reads.list(JobQuery.oldestFirst(), JobFields.WITHOUT_TRACES, mattermost::add);
    assertEquals("xxxxx", mattermost.get(0).data().get("blob"));
    assertNull(mattermost.get(0).stacktraceJson());
    List<JobRecord> nativeView = new ArrayList<>();
    reads.list(
        new JobQuery(List.of("noop", "sleep"), Set.of(), null, null, null, true, null, 0, 10),
        JobFields.WITH_RESULTS,
        nativeView::add);
    assertEquals("a", nativeView.get(0).data().get("n"));
    assertNull(nativeView.get(0).stacktraceJson());
  }

  /**
   * Jobs of 1 MiB each: every page is one job, and the driver is never asked to fetch rows ahead of
   * the page (PostgreSQL's driver holds a whole fetch: 16 rows were 16 MiB for one job used).
   */
  @Test
  void aPageOfBigJobsIsOneJobAndNoRowsAreFetchedAhead() throws Exception {
    int big = 1 << 20;
    for (int i = 0; i < 8; i++) {
      insert("big" + i, "noop", "COMPLETED", 2_000 + i, big);
    }
    JobPages pages =
        reads.pages(
            new JobQuery(List.of(), List.of(), null, null, null, true, null, 0, 200),
            JobFields.WITHOUT_TRACES);
    List<String> ids = new ArrayList<>();
    for (List<JobRecord> page = pages.next(); !page.isEmpty(); page = pages.next()) {
      assertNoConnectionHeld("between pages");
      assertEquals(1, page.size(), "a page of 1 MiB jobs holds one");
      JobRecord job = page.get(0);
      assertEquals(big, job.data().get("blob").length());
      assertEquals(job.id(), job.data().get("n"));
      ids.add(job.id());
    }
    assertEquals(oneQuery("1 = 1", true), ids);
    assertTrue(
        watched.fetchSizes.get(0) <= JobReads.FIRST_FETCH,
        "the first fetch, of rows of unknown size: " + watched.fetchSizes);
    assertEquals(
        List.of(1),
        watched.fetchSizes.subList(1, watched.fetchSizes.size()).stream().distinct().toList(),
        "once rows are known to be 1 MiB, one is fetched at a time: " + watched.fetchSizes);
  }

  /** A result of three chunks and a bit, byte i being (i * 31 + seq) & 0xff. */
  private JobResultInfo storeResult(String jobId, long size) throws Exception {
    insert(jobId, "job_export", "COMPLETED", 1, 2);
    int chunk = ResultStore.CHUNK;
    try (Connection c = db.ds.getConnection()) {
      try (Statement s = c.createStatement()) {
        s.executeUpdate(
            "INSERT INTO job_result (job_id, attempt, file_name, content_type, size, created_at)"
                + " VALUES ('"
                + jobId
                + "', 1, 'out.bin', 'application/octet-stream', "
                + size
                + ", 42)");
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO job_result_chunk (job_id, seq, content) VALUES (?, ?, ?)")) {
        for (int seq = 0; (long) seq * chunk < size; seq++) {
          byte[] b = new byte[(int) Math.min(chunk, size - (long) seq * chunk)];
          for (int i = 0; i < b.length; i++) {
            b[i] = (byte) ((((long) seq * chunk + i) * 31) & 0xff);
          }
          ps.setString(1, jobId);
          ps.setInt(2, seq);
          ps.setBytes(3, b);
          ps.executeUpdate();
        }
      }
    }
    return new JobResultInfo(jobId, "out.bin", "application/octet-stream", size, 42);
  }

  private static byte[] expectedBytes(long from, long to) {
    byte[] b = new byte[(int) (to - from + 1)];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (((from + i) * 31) & 0xff);
    }
    return b;
  }

  /** An output that checks, at every write, that no connection is held. */
  private OutputStream watchedOutput(ByteArrayOutputStream into) {
    return new OutputStream() {
      @Override
      public void write(int b) {
        assertNoConnectionHeld("writing a download");
        into.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        assertNoConnectionHeld("writing a download");
        into.write(b, off, len);
      }
    };
  }

  @Test
  void aDownloadWritesWithNoConnectionHeldAndServesEveryRange() throws Exception {
    int chunk = ResultStore.CHUNK;
    long size = 3L * chunk + 1000;
    JobResultInfo info = storeResult("res", size);
    long[][] ranges = {
      {0, size - 1},
      {5, 10},
      {chunk - 3, chunk + 3},
      {chunk, 2L * chunk - 1},
      {2L * chunk, size - 1},
      {size - 1, size - 1},
      {1, size - 2}
    };
    for (long[] r : ranges) {
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      results.copy(info, r[0], r[1], watchedOutput(got));
      assertArrayEquals(expectedBytes(r[0], r[1]), got.toByteArray(), Arrays.toString(r));
      assertNoConnectionHeld("after a download");
    }
  }

  @Test
  void aDownloadFailsRatherThanMixTwoVersionsOfAResult() throws Exception {
    long size = 2L * ResultStore.CHUNK + 10;
    JobResultInfo info = storeResult("res", size);
    // the job ran again while a client was downloading: its result was written anew
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    OutputStream replacingAfterTheFirstChunk =
        new OutputStream() {
          @Override
          public void write(int b) {
            throw new UnsupportedOperationException();
          }

          @Override
          public void write(byte[] b, int off, int len) {
            if (got.size() == 0) {
              try (Connection c = db.ds.getConnection();
                  Statement s = c.createStatement()) {
                s.executeUpdate("UPDATE job_result SET created_at = 43 WHERE job_id = 'res'");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            }
            got.write(b, off, len);
          }
        };
    IOException e =
        assertThrows(
            IOException.class, () -> results.copy(info, 0, size - 1, replacingAfterTheFirstChunk));
    assertTrue(e.getMessage().contains("replaced or removed"), e.getMessage());
    assertEquals(ResultStore.CHUNK, got.size(), "only the first chunk went out");
    assertNoConnectionHeld("after a failed download");
  }

  @Test
  void theExportWritesWithNoConnectionHeldWhatOneQueryGives() throws Exception {
    for (int i = 0; i < 400; i++) {
      insert(
          String.format("%026d", (i * 7919L) % 100_003),
          i % 2 == 0 ? "noop" : "sleep",
          i % 3 == 0 ? "FAILED" : "COMPLETED",
          1_000L + i / 3,
          i % 50 == 0 ? 200_000 : 3);
    }
    try (Connection c = db.ds.getConnection();
        Statement s = c.createStatement()) {
      // what CSV must quote: commas, quotes and line breaks in the data
      s.executeUpdate(
          "UPDATE job SET data = '{\"a\":\"x,y\",\"b\":\"say \\\"hi\\\"\",\"c\":\"l1\\nl2\"}'"
              + " WHERE create_at = 1030");
    }
    StringWriter csv = new StringWriter();
    Writer watchedCsv =
        new Writer() {
          @Override
          public void write(char[] cbuf, int off, int len) {
            assertNoConnectionHeld("writing the export");
            csv.write(cbuf, off, len);
          }

          @Override
          public void write(String str) {
            assertNoConnectionHeld("writing the export");
            csv.write(str);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    long count =
        JobExport.over(reads)
            .exportCsv(
                "noop",
                List.of(JobStatus.FAILED, JobStatus.COMPLETED, JobStatus.FAILED),
                1_020,
                watchedCsv,
                () -> false);
    StringBuilder expected =
        new StringBuilder(
            "id,type,status,priority,create_at,start_at,last_activity_at,progress,data\r\n");
    List<String> rows =
        db.rows(
            "SELECT id, type, status, priority, create_at, start_at, last_activity_at, progress,"
                + " data FROM job WHERE create_at >= 1020 AND type = 'noop'"
                + " AND status IN ('FAILED', 'COMPLETED') ORDER BY create_at, id");
    for (String row : rows) {
      String[] v = row.split("\\|", 9);
      for (int i = 0; i < 9; i++) {
        expected.append(i > 0 ? "," : "").append(JobExport.csv(v[i]));
      }
      expected.append("\r\n");
    }
    assertEquals(rows.size(), count);
    assertTrue(count > 100, "the export spans several pages: " + count);
    assertEquals(expected.toString(), csv.toString());
    assertNoConnectionHeld("after the export");
    assertNotNull(csv.toString());
  }
}
