package dev.jobserver.database;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Slow is not dead (issue 25): a statement that waits long is left alone while the heartbeat
 * answers, and aborted once the database has not answered the heartbeat for 3 s.
 */
class LivenessTest {

  /** A driver connection whose statements run as told; abort() ends a waiting one. */
  static final class FakeConnection {
    final CountDownLatch aborted = new CountDownLatch(1);
    final long statementMillis;

    FakeConnection(long statementMillis) {
      this.statementMillis = statementMillis;
    }

    Connection connection() {
      return (Connection)
          Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {Connection.class},
              (self, m, args) ->
                  switch (m.getName()) {
                    case "createStatement" -> statement();
                    case "abort" -> {
                      aborted.countDown();
                      yield null;
                    }
                    case "isClosed" -> aborted.getCount() == 0;
                    case "hashCode" -> System.identityHashCode(self);
                    case "equals" -> self == args[0];
                    default -> null;
                  });
    }

    private Statement statement() {
      return (Statement)
          Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {Statement.class},
              (self, m, args) -> {
                if (m.getName().startsWith("execute")) {
                  if (aborted.await(statementMillis, TimeUnit.MILLISECONDS)) {
                    throw new SQLException("An I/O error occurred: socket closed", "08006");
                  }
                  return true;
                }
                return m.getName().equals("hashCode") ? System.identityHashCode(self) : null;
              });
    }
  }

  /** A data source whose heartbeat connections answer in the given time. */
  static DataSource heartbeatAnsweringIn(long millis) {
    return new DataSource() {
      @Override
      public Connection getConnection() {
        return new FakeConnection(millis).connection();
      }

      @Override
      public Connection getConnection(String u, String p) {
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
    };
  }

  /** Undeployed from a server that goes on (Payara Server): no thread of it stays behind. */
  @Test
  void stopAllEndsTheHeartbeatAndWatchdogThreads() throws Exception {
    Liveness.of(UUID.randomUUID().toString(), heartbeatAnsweringIn(1));
    assertTrue(watchThreads() >= 2, "started");
    Liveness.stopAll();
    for (int i = 0; i < 200 && watchThreads() > 0; i++) {
      Thread.sleep(10);
    }
    assertEquals(0, watchThreads(), "every heartbeat and watchdog thread ended");
  }

  private static long watchThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.equals("jobserver-db-heartbeat") || n.equals("jobserver-db-watchdog"))
        .count();
  }

  @Test
  void aSlowStatementIsLeftAloneWhileTheHeartbeatAnswers() throws Exception {
    Liveness liveness = Liveness.of(UUID.randomUUID().toString(), heartbeatAnsweringIn(1));
    FakeConnection slow = new FakeConnection(5_000);
    Connection c = liveness.track(slow.connection());
    long t0 = System.nanoTime();
    assertTrue(c.createStatement().execute("UPDATE job SET ..."));
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertTrue(took >= 4_900, "it ran its 5 s: " + took);
    assertEquals(1, slow.aborted.getCount(), "not aborted");
    assertFalse(liveness.gone());
  }

  @Test
  void aDatabaseThatRefusesTheHeartbeatsConnectionIsThere() throws Exception {
    DataSource full =
        new DelegatingSource(heartbeatAnsweringIn(1)) {
          @Override
          public Connection getConnection() throws SQLException {
            throw new SQLException("sorry, too many clients already", "53300");
          }
        };
    Liveness liveness = Liveness.of(UUID.randomUUID().toString(), full);
    FakeConnection slow = new FakeConnection(4_500);
    assertTrue(liveness.track(slow.connection()).createStatement().execute("UPDATE job SET ..."));
    assertEquals(1, slow.aborted.getCount(), "not aborted");
    assertFalse(liveness.gone());
    assertFalse(Liveness.answered(new SQLException("The connection attempt failed.", "08001")));
  }

  /** A data source that answers as another one, unless told otherwise. */
  abstract static class DelegatingSource implements DataSource {
    private final DataSource d;

    DelegatingSource(DataSource d) {
      this.d = d;
    }

    @Override
    public Connection getConnection(String u, String p) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return d.getLogWriter();
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

  @Test
  void aStatementWaitingOnADatabaseThatStoppedAnsweringIsAbortedWithin4s() throws Exception {
    Liveness liveness = Liveness.of(UUID.randomUUID().toString(), heartbeatAnsweringIn(60_000));
    FakeConnection frozen = new FakeConnection(60_000);
    Connection c = liveness.track(frozen.connection());
    Statement s = c.createStatement();
    assertTrue(s.getConnection() == c, "a statement's connection is the watched one");
    long t0 = System.nanoTime();
    SQLException e = assertThrows(SQLException.class, () -> s.execute("SELECT 1"));
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertEquals("08006", e.getSQLState());
    assertTrue(took >= 2_500 && took < 4_000, "aborted after " + took + " ms");
    assertTrue(liveness.gone());
    // a connection that is not waiting is left as it is
    FakeConnection idle = new FakeConnection(0);
    liveness.track(idle.connection());
    Thread.sleep(600);
    assertEquals(1, idle.aborted.getCount());
  }
}
