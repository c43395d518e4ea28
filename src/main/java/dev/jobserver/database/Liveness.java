package dev.jobserver.database;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Tells a database that is slow from one that is gone (issue 25), for PostgreSQL.
 *
 * <p>A statement that waits for its answer cannot tell by itself: under a storm of creates and
 * endings a batch of updates may wait seconds for row locks (each statement bounded by the
 * database's own {@code lock_timeout} and {@code statement_timeout}, the batch not), and in a
 * network partition it waits for ever. So a separate heartbeat asks the database {@code SELECT 1}
 * on its own connection every {@value #HEARTBEAT_MILLIS} ms: such a question takes no lock and
 * answers in milliseconds while the database is up, however busy its tables are. When no answer has
 * come for {@value #DEAD_MILLIS} ms, the database counts as gone, and every connection of this data
 * source that is waiting for the database (a statement, a commit, a rollback in progress) is
 * aborted: its request fails at once and answers 503, and the pool, finding the connection closed,
 * drops its idle ones (README, Operating it). While the heartbeat answers, nothing is aborted: a
 * slow statement is left to the database's timeouts, and the socket timeout is only the last
 * resort.
 *
 * <p>Connections are tracked through a thin proxy on the driver's connection and statements: each
 * call that may wait for the database marks its connection busy while it runs.
 */
final class Liveness {

  private static final Logger LOG = Logger.getLogger(Liveness.class.getName());

  /** How often the heartbeat asks. */
  static final long HEARTBEAT_MILLIS = 250;

  /** No answer for this long: the database is gone. */
  static final long DEAD_MILLIS = 3_000;

  private static final Map<String, Liveness> BY_DATABASE = new ConcurrentHashMap<>();

  private final String name;
  private final DataSource source;
  private final Set<Tracked> busy = ConcurrentHashMap.newKeySet();
  private volatile long lastAnswer = System.nanoTime();
  private volatile Connection heartbeat;
  private volatile boolean gone;
  private volatile boolean started;
  private volatile boolean stopped;
  private Thread beat;
  private Thread watch;

  Liveness(String name, DataSource source) {
    this.name = name;
    this.source = source;
  }

  /**
   * The one of this database (URL and user), started on first use; the log names it by the URL
   * without its parameters, which may hold a password.
   */
  static Liveness of(String key, DataSource source) {
    Liveness l =
        BY_DATABASE.computeIfAbsent(key, k -> new Liveness(k.split("[\n?]", 2)[0], source));
    l.start();
    return l;
  }

  private synchronized void start() {
    if (started) {
      return;
    }
    started = true;
    lastAnswer = System.nanoTime();
    beat = new Thread(this::beat, "jobserver-db-heartbeat");
    beat.setDaemon(true);
    beat.start();
    watch = new Thread(this::watch, "jobserver-db-watchdog");
    watch.setDaemon(true);
    watch.start();
  }

  /**
   * Stops the heartbeat and the watchdog of every database and closes the heartbeat's connection:
   * the application is undeployed, and its threads must not keep its classes alive in the server
   * (Payara Server redeploys in the same JVM).
   */
  static void stopAll() {
    for (Liveness l : BY_DATABASE.values()) {
      l.stop();
    }
    BY_DATABASE.clear();
  }

  private synchronized void stop() {
    stopped = true;
    for (Thread t : new Thread[] {beat, watch}) {
      if (t != null) {
        t.interrupt();
      }
    }
    closeHeartbeat();
  }

  /** Whether the heartbeat has had no answer for {@link #DEAD_MILLIS}. */
  boolean gone() {
    return gone;
  }

  private void beat() {
    while (!stopped) {
      try {
        Connection c = heartbeat;
        if (c == null || c.isClosed()) {
          c = source.getConnection();
          heartbeat = c;
        }
        try (Statement s = c.createStatement()) {
          s.execute("SELECT 1");
        }
        lastAnswer = System.nanoTime();
      } catch (SQLException e) {
        if (answered(e)) {
          lastAnswer = System.nanoTime();
        }
        closeHeartbeat();
      } catch (RuntimeException e) {
        closeHeartbeat();
      }
      sleep(HEARTBEAT_MILLIS);
    }
    closeHeartbeat();
  }

  /**
   * Whether the database itself refused (too many connections, starting up, a canceled statement):
   * then it is there. Failures to reach it have SQLSTATE class 08 (or none).
   */
  static boolean answered(SQLException e) {
    String state = e.getSQLState();
    return state != null && !state.startsWith("08");
  }

  private void watch() {
    long previousTick = System.nanoTime();
    while (!stopped) {
      sleep(HEARTBEAT_MILLIS);
      if (stopped) {
        return;
      }
      long now = System.nanoTime();
      // after a pause of this JVM (a long GC) the heartbeat has had no chance to read its answer
      boolean paused = now - previousTick > TimeUnit.MILLISECONDS.toNanos(4 * HEARTBEAT_MILLIS);
      previousTick = now;
      long silent = TimeUnit.NANOSECONDS.toMillis(now - lastAnswer);
      if (silent < DEAD_MILLIS) {
        if (gone) {
          gone = false;
          LOG.info("The database " + name + " answers again");
        }
        continue;
      }
      if (paused) {
        continue;
      }
      if (!gone) {
        gone = true;
        LOG.warning(
            "The database "
                + name
                + " has not answered for "
                + silent
                + " ms: aborting the statements waiting for it ("
                + busy.size()
                + ")");
        closeHeartbeat(); // a question lost in a partition is never answered: ask anew
      }
      for (Tracked t : busy) {
        t.abort();
      }
    }
  }

  private void closeHeartbeat() {
    Connection c = heartbeat;
    heartbeat = null;
    if (c != null) {
      try {
        c.abort(Runnable::run);
      } catch (SQLException | RuntimeException ignored) {
        // it is being dropped
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The connection, watched: while one of its calls waits, an outage aborts it. */
  Connection track(Connection physical) {
    Tracked t = new Tracked(physical);
    return (Connection) proxy(physical, t, true);
  }

  private Object proxy(Object target, Tracked t, boolean connection) {
    Set<Class<?>> interfaces = new LinkedHashSet<>();
    for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
      for (Class<?> i : c.getInterfaces()) {
        interfaces.add(i);
      }
    }
    InvocationHandler h =
        connection ? new ConnectionCalls(target, t) : new StatementCalls(target, t);
    return Proxy.newProxyInstance(
        target.getClass().getClassLoader(), interfaces.toArray(new Class<?>[0]), h);
  }

  /** One driver connection: busy while a call on it or its statements runs. */
  final class Tracked {
    final Connection physical;
    private volatile int calls;
    private volatile Connection proxy;

    Tracked(Connection physical) {
      this.physical = physical;
    }

    Object call(Object target, Method m, Object[] args) throws Throwable {
      synchronized (this) {
        if (calls++ == 0) {
          busy.add(this);
        }
      }
      try {
        if (gone) {
          abort();
        }
        return m.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      } finally {
        synchronized (this) {
          if (--calls == 0) {
            busy.remove(this);
          }
        }
      }
    }

    void abort() {
      try {
        physical.abort(Runnable::run);
      } catch (SQLException | RuntimeException e) {
        LOG.log(Level.FINE, "Aborting a connection failed", e);
      }
    }
  }

  private static Object plain(Object target, Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private final class ConnectionCalls implements InvocationHandler {
    private final Object target;
    private final Tracked t;

    ConnectionCalls(Object target, Tracked t) {
      this.target = target;
      this.t = t;
    }

    @Override
    public Object invoke(Object self, Method m, Object[] args) throws Throwable {
      String n = m.getName();
      switch (n) {
        case "equals":
          return self == args[0];
        case "hashCode":
          return System.identityHashCode(self);
        case "toString":
          return "watched " + target;
        case "createStatement", "prepareStatement", "prepareCall":
          t.proxy = (Connection) self;
          return proxy(plain(target, m, args), t, false);
        case "commit",
            "rollback",
            "setAutoCommit",
            "setTransactionIsolation",
            "setReadOnly",
            "setSavepoint",
            "releaseSavepoint",
            "setSchema",
            "setCatalog",
            "nativeSQL",
            "getTransactionIsolation",
            "getSchema",
            "getCatalog",
            "createClob",
            "createBlob",
            "createArrayOf",
            "createStruct",
            "setClientInfo",
            "getClientInfo":
          return t.call(target, m, args);
        default:
          // no round trip (isClosed, getAutoCommit, getMetaData, unwrap, the network timeout...) or
          // one that bounds itself (isValid); close and abort end the connection
          return plain(target, m, args);
      }
    }
  }

  private final class StatementCalls implements InvocationHandler {
    private final Object target;
    private final Tracked t;

    StatementCalls(Object target, Tracked t) {
      this.target = target;
      this.t = t;
    }

    @Override
    public Object invoke(Object self, Method m, Object[] args) throws Throwable {
      String n = m.getName();
      if (n.startsWith("execute") || n.equals("getMoreResults")) {
        return t.call(target, m, args);
      }
      switch (n) {
        case "equals":
          return self == args[0];
        case "hashCode":
          return System.identityHashCode(self);
        case "toString":
          return target.toString();
        case "getConnection":
          return t.proxy != null ? t.proxy : plain(target, m, args);
        default:
          return plain(target, m, args);
      }
    }
  }
}
