package dev.jobserver.engine;

import static dev.jobserver.engine.EngineFixture.ACTOR;
import static dev.jobserver.engine.EngineFixture.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.store.JobStore;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The engine while its database is out of reach for longer than a lease: its runs go on, their
 * outcomes wait, and when the database answers again this instance neither takes its own live runs
 * for dead nor loses what they did.
 */
class DatabaseOutageTest {

  private final EngineFixture f = new EngineFixture();
  private final AtomicBoolean down = new AtomicBoolean();
  private final JobStore store = JobStore.over(new Cuttable(f.ds, down));
  private final JobHandler handler = EngineFixture.handler("t", 0, Duration.ofMinutes(5));
  private final Runner runner = f.runner(JobTypeRegistry.of(handler));
  private final WorkerPool pool =
      new WorkerPool(2, new EngineFixture.Parked(), runner::execute, f.clock);
  private final OutcomeRecorder recorder = new OutcomeRecorder(() -> store, OWNER, ACTOR, id -> {});
  private final Heartbeat heartbeat =
      new Heartbeat(
          f.settings,
          f.clock,
          () -> store,
          f.runs,
          runner,
          pool,
          OWNER,
          ACTOR,
          now -> {},
          recorder::held);
  private final LeaseRecovery recovery =
      new LeaseRecovery(
          f.settings, f.clock, () -> store, () -> {}, ACTOR, heartbeat::leasesCurrent);

  @Test
  void afterAnOutageLongerThanALeaseItsOwnRecoveryDoesNotRequeueTheJobsItStillRuns()
      throws Exception {
    f.insert("long", "t", 1000); // still running when the database returns
    f.insert("ended", "t", 1001); // ended during the outage: its outcome waits
    Run running = f.startedRun("long", handler);
    Run ended = f.startedRun("ended", handler);
    heartbeat.beat();

    down.set(true);
    f.clock.advance(1000);
    assertThrows(SQLException.class, heartbeat::beat);
    assertFalse(heartbeat.leasesCurrent());
    assertEquals(0, recovery.sweep(), "no sweep while this instance's leases are not renewed");
    f.runs.remove(ended);
    recorder.record(EngineFixture.outcome("ended", 1, Cause.SUCCEED, null));
    assertThrows(SQLException.class, recorder::flush);
    assertEquals(1, recorder.waiting(), "the outcome waits in memory");
    f.clock.advance(3 * f.settings.leaseMillis()); // every lease of this instance has expired

    down.set(false);
    assertEquals(0, recovery.sweep(), "no sweep before this instance renewed its leases");
    assertEquals("RUNNING", f.row("long").get("status"));
    heartbeat.beat();
    assertTrue(heartbeat.leasesCurrent());
    for (String id : List.of("long", "ended")) {
      assertEquals(OWNER, f.row(id).get("owner"), id);
      assertTrue((long) f.row(id).get("lease") > f.clock.millis(), id + " has its lease again");
    }
    assertEquals(0, recovery.sweep(), "nothing of this instance's has expired now");
    assertNull(running.stopReason, "the run goes on");

    recorder.flush();
    assertEquals("COMPLETED", f.row("ended").get("status"));
    assertEquals("RUNNING", f.row("long").get("status"));
    assertEquals(List.of("PENDING>RUNNING"), f.events("long"), "ran once, never requeued");
    assertEquals(List.of("PENDING>RUNNING", "RUNNING>COMPLETED"), f.events("ended"));
  }

  @Test
  void leasesOfJobsWhoseOutcomesWaitAreKeptWhenNoRunIsLeft() throws Exception {
    f.insert("ended", "t", 1000);
    Run ended = f.startedRun("ended", handler);
    f.runs.remove(ended);
    down.set(true);
    recorder.record(EngineFixture.outcome("ended", 1, Cause.SUCCEED, null));
    assertThrows(SQLException.class, recorder::flush);
    down.set(false);
    long before = (long) f.row("ended").get("lease");
    f.clock.advance(f.settings.leaseMillis());
    heartbeat.beat();
    assertTrue(
        (long) f.row("ended").get("lease") > before,
        "renewed: its outcome is not written yet, its job must not be taken for dead");
    assertFalse(f.runs.holds("ended"));
  }

  @Test
  void aReservationWhoseHandBackFailedIsReleasedWhenTheDatabaseAnswers() throws Exception {
    f.insert("waiting", "t", 1000);
    Run run = new Run(f.reserve("waiting"), handler, null, f.clock, OWNER, r -> {});
    f.runs.add(run);
    pool.offer(List.of(run)); // no worker takes it (parked)
    // the database goes away between the heartbeat's read of its runs and the hand-back
    JobStore failingRelease =
        new JobStore() {
          @Override
          public java.util.Map<String, dev.jobserver.store.RunState> states(
              java.util.Collection<String> ids) throws SQLException {
            return f.store.states(ids);
          }

          @Override
          public void progress(
              String owner, java.util.Collection<dev.jobserver.store.ProgressUpdate> updates)
              throws SQLException {
            f.store.progress(owner, updates);
          }

          @Override
          public int extendLeases(String owner, java.util.Collection<String> ids, long leaseUntil)
              throws SQLException {
            return f.store.extendLeases(owner, ids, leaseUntil);
          }

          @Override
          public int release(String owner, java.util.Collection<String> ids) throws SQLException {
            if (down.get()) {
              throw new SQLException("An I/O error occurred while sending to the backend", "08006");
            }
            return f.store.release(owner, ids);
          }
        };
    Heartbeat beats =
        new Heartbeat(
            f.settings, f.clock, () -> failingRelease, f.runs, runner, pool, OWNER, ACTOR);
    f.clock.advanceNanos(2 * Heartbeat.MAX_WAIT_NANOS);
    down.set(true);
    assertThrows(SQLException.class, beats::beat);
    assertFalse(f.runs.holds("waiting"), "given up here");
    assertEquals(OWNER, f.row("waiting").get("owner"), "but not yet in the database");
    down.set(false);
    beats.beat();
    assertNull(f.row("waiting").get("owner"), "released: any instance may claim it");
    assertEquals("PENDING", f.row("waiting").get("status"));
  }

  @Test
  void outcomesBeingWrittenCountAsHeldWhileTheWriteHangs() throws Exception {
    // a partition: the write of a batch hangs (until the socket timeout); its outcomes are out of
    // the queue meanwhile, and their jobs must not look free to take over
    java.util.concurrent.CountDownLatch writing = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
    JobStore hanging =
        new JobStore() {
          @Override
          public java.util.Set<String> record(
              String owner,
              List<dev.jobserver.store.RunStart> starts,
              List<dev.jobserver.store.RunOutcome> ends,
              String actor)
              throws SQLException {
            writing.countDown();
            try {
              answer.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            throw new SQLException("An I/O error occurred while sending to the backend", "08006");
          }
        };
    OutcomeRecorder hangs = new OutcomeRecorder(() -> hanging, OWNER, ACTOR, id -> {});
    hangs.record(EngineFixture.outcome("x", 1, Cause.SUCCEED, null));
    Thread t =
        new Thread(
            () -> {
              try {
                hangs.step();
              } catch (Exception expected) {
                // the write failed: the outcome is back in the queue
              }
            });
    t.start();
    assertTrue(writing.await(10, java.util.concurrent.TimeUnit.SECONDS));
    assertEquals(0, hangs.waiting(), "out of the queue while it is written");
    assertTrue(hangs.holding(), "but held");
    answer.countDown();
    t.join(10_000);
    assertEquals(1, hangs.waiting(), "back in the queue after the failure");
    assertTrue(hangs.holding());
  }

  /** A data source that refuses every connection while {@code down} is set. */
  private record Cuttable(DataSource ds, AtomicBoolean down) implements DataSource {
    @Override
    public Connection getConnection() throws SQLException {
      if (down.get()) {
        throw new SQLException("Connection to localhost:5432 refused", "08001");
      }
      return ds.getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
