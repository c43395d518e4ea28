package dev.jobserver.job;

import jakarta.ejb.ApplicationException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;

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
