package dev.jobserver.job;

import jakarta.ejb.ApplicationException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/** The database failed a read or write; {@link #unavailable()} when it could not be reached. */
@ApplicationException(rollback = true)
public class StoreException extends RuntimeException {
  private final boolean unavailable;

  public StoreException(String message, Throwable cause, boolean unavailable) {
    super(message, cause);
    this.unavailable = unavailable;
  }

  public static StoreException of(String what, SQLException e) {
    return new StoreException(what + ": " + e.getMessage(), e, isUnavailable(e));
  }

  /** The database did not answer (connection refused, broken or timed out), rather than refused. */
  public boolean unavailable() {
    return unavailable;
  }

  /**
   * Whether anything in this failure's chain of causes says the database could not be reached or
   * did not answer in time: a {@link StoreException} that says so, an {@link SQLException} that
   * {@link #isUnavailable(SQLException) is unavailable}, a socket that timed out, was refused or
   * reset, the pool that could not hand out a connection in time. Exceptions of JPA (EclipseLink's
   * DatabaseException) and EJB wrap the driver's, so they are seen through.
   */
  public static boolean isUnavailable(Throwable thrown) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = thrown; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof StoreException store) {
        return store.unavailable();
      }
      if (t instanceof SQLException sql && isUnavailable(sql)) {
        return true;
      }
      if (t instanceof SocketTimeoutException
          || t instanceof ConnectException
          || t instanceof SocketException
          || t instanceof NoRouteToHostException) {
        return true;
      }
      String name = t.getClass().getSimpleName();
      if (name.equals("PoolingException")
          || name.equals("ResourceAllocationException")
          || name.equals("ResourceException")) {
        return true; // the container's pool: no connection could be had in time
      }
      String message = t.getMessage();
      if (message != null && message.contains("This connection has been closed")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether anything in this failure's chain of causes says the database is busy rather than gone:
   * it canceled a statement that waited too long for a lock ({@code lock_timeout}, SQLSTATE 55P03;
   * H2's lock timeout HYT00) or ran too long ({@code statement_timeout}, 57014), or it broke a
   * deadlock (40P01) or a serialization conflict (40001). The connection is healthy: the same
   * request can succeed when tried again a moment later. Seen through a {@link StoreException},
   * which keeps the driver's exception as its cause.
   */
  public static boolean isBusy(Throwable thrown) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = thrown; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof SQLException sql && isBusy(sql)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the database canceled this statement for a timeout, a deadlock or a conflict. */
  public static boolean isBusy(SQLException e) {
    for (SQLException s = e; s != null; s = s.getNextException()) {
      String state = s.getSQLState();
      if (state != null
          && (state.equals("57014")
              || state.equals("55P03")
              || state.equals("40P01")
              || state.equals("40001")
              || state.equals("HYT00"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a failure means the database could not be reached or did not answer in time (try again
   * later), rather than that it refused what was sent (a constraint, a value it cannot store).
   * Connection failures have SQLSTATE class 08; PostgreSQL's admin shutdown is 57P01 and too many
   * connections 53300; H2's broken connection is 90067; the container's pool, when it cannot get a
   * connection, throws with no SQLSTATE at all.
   */
  public static boolean isUnavailable(SQLException e) {
    for (SQLException s = e; s != null; s = s.getNextException()) {
      String state = s.getSQLState();
      if (s instanceof SQLTransientConnectionException
          || s instanceof SQLRecoverableException
          || s instanceof SQLTimeoutException
          || state == null
          || state.startsWith("08")
          || state.equals("57P01")
          || state.equals("57014")
          || state.equals("53300")
          || state.equals("90067")) {
        return true;
      }
    }
    return false;
  }
}
