package dev.jobserver.engine;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * One engine's connections in the stress test: a small pool over the real data source that injects
 * the database faults of a production night, at rates the test sets while it runs.
 *
 * <ul>
 *   <li>deadlocks: a commit is rolled back and fails with SQLSTATE 40P01 (or 40001), as PostgreSQL
 *       does when it breaks a deadlock;
 *   <li>dropped connections: a statement or a commit fails with 08006, either before it reached the
 *       database or after it was applied (the outcome of a commit is then unknown to the caller),
 *       and the connection is dead from then on; a new connection is refused (08001);
 *   <li>{@link #kill}: the process is gone: every connection is closed at once (the database rolls
 *       back what was not committed) and none is given again.
 * </ul>
 */
final class FaultyDataSource implements DataSource {

  private final DataSource real;
  private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();

  /** Probability that a commit is aborted as a deadlock. */
  volatile double deadlockRate;

  /** Probability that a statement, a commit or a new connection fails as a dropped connection. */
  volatile double dropRate;

  private volatile boolean dead;

  final AtomicLong deadlocks = new AtomicLong();
  final AtomicLong drops = new AtomicLong();
  final AtomicLong lostCommits = new AtomicLong();

  FaultyDataSource(DataSource real) {
    this.real = real;
  }

  /** The process is killed: its connections are closed under its threads, and no more are given. */
  void kill() {
    dead = true;
    for (Connection c : open) {
      closeQuietly(c);
    }
    for (Connection c = idle.poll(); c != null; c = idle.poll()) {
      closeQuietly(c);
    }
  }

  /** Closes the idle connections (after the engine stopped). */
  void close() {
    dead = true;
    kill();
  }

  private static boolean roll(double rate) {
    return rate > 0 && ThreadLocalRandom.current().nextDouble() < rate;
  }

  private static SQLException dropped() {
    return new SQLException(
        "An I/O error occurred while sending to the backend (injected)", "08006");
  }

  @Override
  public Connection getConnection() throws SQLException {
    if (dead) {
      throw new SQLException("Connection refused: the process is dead (injected)", "08001");
    }
    if (roll(dropRate / 4)) {
      drops.incrementAndGet();
      throw new SQLException("Connection to the database refused (injected)", "08001");
    }
    Connection physical = idle.poll();
    if (physical == null) {
      physical = real.getConnection();
    }
    open.add(physical);
    return new Handle(physical).proxy();
  }

  /** One use of a pooled connection, until it is closed (given back) or broken. */
  private final class Handle {
    private final Connection physical;
    private volatile boolean broken;
    private boolean closed;

    Handle(Connection physical) {
      this.physical = physical;
    }

    Connection proxy() {
      return (Connection)
          Proxy.newProxyInstance(
              Connection.class.getClassLoader(),
              new Class<?>[] {Connection.class},
              (p, method, args) -> connectionCall(method, args));
    }

    private Object connectionCall(Method method, Object[] args) throws Throwable {
      String name = method.getName();
      if (name.equals("close")) {
        giveBack();
        return null;
      }
      if (name.equals("isClosed")) {
        return closed || broken || physical.isClosed();
      }
      check();
      if (name.equals("commit")) {
        if (roll(deadlockRate)) {
          deadlocks.incrementAndGet();
          physical.rollback();
          boolean serialization = ThreadLocalRandom.current().nextBoolean();
          throw serialization
              ? new SQLException(
                  "could not serialize access due to concurrent update (injected)", "40001")
              : new SQLException("deadlock detected (injected)", "40P01");
        }
        if (roll(dropRate)) {
          drops.incrementAndGet();
          broken = true;
          if (ThreadLocalRandom.current().nextBoolean()) {
            physical.commit(); // applied, but the answer is lost
            lostCommits.incrementAndGet();
          } else {
            physical.rollback();
          }
          throw dropped();
        }
      }
      Object out = invoke(physical, method, args);
      if (out instanceof Statement s) {
        Class<?> type =
            s instanceof java.sql.CallableStatement
                ? java.sql.CallableStatement.class
                : s instanceof java.sql.PreparedStatement
                    ? java.sql.PreparedStatement.class
                    : Statement.class;
        return Proxy.newProxyInstance(
            Statement.class.getClassLoader(),
            new Class<?>[] {type},
            (p, m, a) -> statementCall(s, m, a));
      }
      return out;
    }

    private Object statementCall(Statement s, Method method, Object[] args) throws Throwable {
      String name = method.getName();
      if (name.startsWith("execute")) {
        check();
        if (roll(dropRate)) {
          drops.incrementAndGet();
          broken = true;
          if (ThreadLocalRandom.current().nextBoolean()) {
            invoke(s, method, args); // it ran (committed if in auto-commit); the answer is lost
          }
          throw dropped();
        }
      }
      if (name.equals("getConnection")) {
        return null; // not used by the store
      }
      return invoke(s, method, args);
    }

    private void check() throws SQLException {
      if (dead || broken) {
        broken = true;
        throw dropped();
      }
    }

    private void giveBack() {
      if (closed) {
        return;
      }
      closed = true;
      open.remove(physical);
      if (broken || dead) {
        closeQuietly(physical);
        return;
      }
      try {
        if (!physical.getAutoCommit()) {
          physical.rollback();
          physical.setAutoCommit(true);
        }
        idle.push(physical);
        if (dead) {
          kill();
        }
      } catch (SQLException e) {
        closeQuietly(physical);
      }
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // it is gone either way
    }
  }

  private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
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
