package dev.jobserver.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.engine.EngineLoop;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The probes' verdicts and the database probe's time bound, without a server. */
class HealthTest {

  private static final DatabaseProbe.Result DB_UP = new DatabaseProbe.Result(true, 3, "answered");
  private final CountDownLatch release = new CountDownLatch(1);
  private final List<EngineLoop> started = new java.util.ArrayList<>();

  @AfterEach
  void stop() {
    release.countDown();
    started.forEach(EngineLoop::stop);
  }

  private EngineLoop running(String name) {
    EngineLoop loop = new EngineLoop(name, () -> Thread.sleep(50), Thread::new);
    loop.start();
    started.add(loop);
    for (int i = 0; i < 500 && loop.state() != EngineLoop.State.RUNNING; i++) {
      sleepQuietly(10);
    }
    assertEquals(EngineLoop.State.RUNNING, loop.state());
    return loop;
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A loop whose thread could not be made: the state a loop is in when it cannot restart. */
  private static EngineLoop dead(String name) {
    EngineLoop loop =
        new EngineLoop(
            name,
            () -> {},
            r -> {
              throw new IllegalStateException("no more threads");
            });
    loop.start();
    assertEquals(EngineLoop.State.DEAD, loop.state());
    return loop;
  }

  @Test
  void readyOnlyWhenMigratedStartedEveryLoopAliveAndTheDatabaseAnswers() {
    List<EngineLoop> loops = List.of(running("dispatcher"), running("heartbeat"));
    HealthVerdict ready = HealthVerdict.readiness(true, true, loops, DB_UP);
    assertTrue(ready.up(), ready.toString());
    assertEquals("up", ready.data().get("database"));
    assertEquals("running", ready.data().get("loop_dispatcher"));

    assertFalse(HealthVerdict.readiness(false, true, loops, DB_UP).up(), "before migrations");
    assertEquals(
        "not finished",
        HealthVerdict.readiness(false, false, List.of(), DB_UP).data().get("migrations"));
    assertFalse(HealthVerdict.readiness(true, false, List.of(), DB_UP).up(), "engine not started");
    HealthVerdict noDb =
        HealthVerdict.readiness(
            true, true, loops, new DatabaseProbe.Result(false, 2000, "no answer within 2000 ms"));
    assertFalse(noDb.up());
    assertEquals("down: no answer within 2000 ms", noDb.data().get("database"));
    assertFalse(
        HealthVerdict.readiness(true, true, List.of(running("outcomes"), dead("recovery")), DB_UP)
            .up(),
        "a dead loop");
    // deployed to a running Payara Server instance, the container refuses the loop's thread until
    // the application is enabled: it has not run yet, so the instance is not ready
    EngineLoop refused = new EngineLoop("dispatcher", () -> {}, r -> new Thread(() -> {}));
    refused.start();
    started.add(refused);
    assertEquals(EngineLoop.State.STARTING, refused.state());
    HealthVerdict notYet = HealthVerdict.readiness(true, true, List.of(refused), DB_UP);
    assertFalse(notYet.up(), "a loop whose thread has not run");
    assertEquals("starting", notYet.data().get("loop_dispatcher"));
    EngineLoop stopped = running("dispatcher");
    stopped.stop();
    assertFalse(
        HealthVerdict.readiness(true, true, List.of(stopped), DB_UP).up(), "a stopping instance");
  }

  @Test
  void aliveUnlessALoopIsDeadWhateverTheDatabase() {
    HealthVerdict live = HealthVerdict.liveness(List.of(running("dispatcher")));
    assertTrue(live.up());
    assertEquals(0L, live.data().get("loop_dispatcher_errors"));
    HealthVerdict dead = HealthVerdict.liveness(List.of(running("outcomes"), dead("heartbeat")));
    assertFalse(dead.up());
    assertEquals("dead", dead.data().get("loop_heartbeat"));
    assertTrue(HealthVerdict.liveness(List.of()).up(), "booting is not dead");
  }

  @Test
  void startedOnceMigratedAndTheEngineRuns() {
    assertTrue(HealthVerdict.startup(true, true).up());
    assertFalse(HealthVerdict.startup(true, false).up());
    assertFalse(HealthVerdict.startup(false, false).up());
  }

  // ---- the database probe ------------------------------------------------------------------

  @Test
  void aDatabaseThatAnswersIsUp() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:p" + UUID.randomUUID());
    DatabaseProbe.Result r = new DatabaseProbe(h2, Thread::new, 2000).check();
    assertTrue(r.up(), r.toString());
  }

  @Test
  void aDatabaseThatHangsIsDownInTimeAndStuckChecksAreNotPiledUp() {
    DataSource hangs =
        new Broken() {
          @Override
          public Connection getConnection() throws SQLException {
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            throw new SQLException("released", "08006");
          }
        };
    DatabaseProbe probe = new DatabaseProbe(hangs, Thread::new, 300);
    for (int i = 0; i < DatabaseProbe.MAX_WAITING; i++) {
      long start = System.nanoTime();
      DatabaseProbe.Result r = probe.check();
      long took = (System.nanoTime() - start) / 1_000_000;
      assertFalse(r.up());
      assertEquals("no answer within 300 ms", r.detail());
      assertTrue(took >= 290 && took < 2000, "took " + took + " ms");
    }
    long start = System.nanoTime();
    DatabaseProbe.Result r = probe.check();
    assertFalse(r.up());
    assertEquals("earlier checks are still waiting for the database", r.detail());
    assertTrue((System.nanoTime() - start) / 1_000_000 < 100, "answered at once");
  }

  @Test
  void aFailureSaysItsKindAndStateButNotItsMessage() {
    DataSource refuses =
        new Broken() {
          @Override
          public Connection getConnection() throws SQLException {
            throw new SQLException(
                "Connection to db.internal.example:5432 refused for user jobs", "08001");
          }
        };
    DatabaseProbe.Result r = new DatabaseProbe(refuses, Thread::new, 2000).check();
    assertFalse(r.up());
    assertEquals("failed: SQLException (SQLState 08001)", r.detail());
  }

  /** A data source whose only working part is what a test overrides. */
  private abstract static class Broken implements DataSource {
    @Override
    public Connection getConnection(String u, String p) throws SQLException {
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
    public Logger getParentLogger() {
      return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> iface) {
      return null;
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
