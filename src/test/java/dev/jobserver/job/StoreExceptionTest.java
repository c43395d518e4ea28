package dev.jobserver.job;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.api.common.ApiFlavor;
import dev.jobserver.api.common.ErrorBodies;
import jakarta.ejb.EJBException;
import jakarta.persistence.PersistenceException;
import jakarta.resource.spi.ResourceAllocationException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Which failures mean "the database cannot be reached" (503 and try again), which do not. */
class StoreExceptionTest {

  private static SQLException sql(String message, String state) {
    return new SQLException(message, state);
  }

  @Test
  void connectionFailuresCountAsUnavailableHoweverTheyAreWrapped() {
    SQLException refused = sql("Connection to 127.0.0.1:5432 refused", "08001");
    SQLException closed = sql("This connection has been closed.", "08003");
    SQLException ioError = sql("An I/O error occurred while sending to the backend.", "08006");
    ioError.initCause(new SocketTimeoutException("Read timed out"));
    // the pool, when no connection can be had in time: no SQLState
    SQLException poolWait =
        new SQLException(
            "Error in allocating a connection. Cause: In-use connections equal max-pool-size and"
                + " expired max-wait-time. Cannot allocate more connections.");
    for (Throwable t :
        new Throwable[] {
          refused,
          closed,
          ioError,
          poolWait,
          sql("terminating connection due to administrator command", "57P01"),
          sql("Connection is broken: \"session closed\"", "90067"),
          new SocketTimeoutException("connect timed out"),
          new ConnectException("Connection refused"),
          new ResourceAllocationException("max-wait-time expired"),
          new IOException("Listing jobs failed", ioError),
          // JPA (EclipseLink wraps the driver's exception) inside EJB's
          new EJBException(new PersistenceException("Exception [EclipseLink-4002]", closed)),
          new EJBException(new PersistenceException(new RuntimeException(refused))),
          StoreException.of("Storing the new job failed", refused),
          new IllegalStateException("x", new RuntimeException("This connection has been closed."))
        }) {
      assertTrue(StoreException.isUnavailable(t), t::toString);
    }
  }

  @Test
  void refusalsAndBugsDoNotCountAsUnavailable() {
    SQLException duplicate = sql("duplicate key value violates unique constraint", "23505");
    for (Throwable t :
        new Throwable[] {
          duplicate,
          sql("value too long for type character varying(64)", "22001"),
          sql("syntax error", "42601"),
          new IllegalStateException("a bug"),
          new NullPointerException(),
          new EJBException(new PersistenceException(duplicate)),
          StoreException.of("Storing the new job failed", duplicate),
          // a StoreException says what it is, whatever it wraps
          new StoreException("refused", new ConnectException("?"), false)
        }) {
      assertFalse(StoreException.isUnavailable(t), t::toString);
    }
  }

  @Test
  void statementsTheDatabaseCanceledCountAsBusyHoweverTheyAreWrapped() {
    SQLException lockTimeout = sql("canceling statement due to lock timeout", "55P03");
    SQLException statementTimeout = sql("canceling statement due to statement timeout", "57014");
    SQLException deadlock = sql("deadlock detected", "40P01");
    SQLException conflict = sql("could not serialize access", "40001");
    SQLException h2LockTimeout = sql("Timeout trying to lock table", "HYT00");
    SQLException batch = sql("Batch entry 3 was aborted", "40P01");
    SQLException batchHead = sql("Batch entry 0 UPDATE job ... was aborted", null);
    batchHead.setNextException(batch);
    for (Throwable t :
        new Throwable[] {
          lockTimeout,
          statementTimeout,
          deadlock,
          conflict,
          h2LockTimeout,
          batchHead,
          // the store's StoreException says unavailable or not; busy is read from its cause
          StoreException.of("Changing job j1 failed", lockTimeout),
          new EJBException(new PersistenceException("Exception [EclipseLink-4002]", deadlock)),
          new IOException("Listing jobs failed", statementTimeout)
        }) {
      assertTrue(StoreException.isBusy(t), t::toString);
    }
  }

  @Test
  void aDatabaseThatIsGoneOrRefusesIsNotBusy() {
    SQLException ioError = sql("An I/O error occurred while sending to the backend.", "08006");
    ioError.initCause(new SocketTimeoutException("Read timed out"));
    for (Throwable t :
        new Throwable[] {
          ioError,
          sql("This connection has been closed.", "08003"),
          sql("terminating connection due to administrator command", "57P01"),
          sql("duplicate key value violates unique constraint", "23505"),
          new SQLException("Error in allocating a connection."),
          new SocketTimeoutException("connect timed out"),
          StoreException.of("Storing the new job failed", ioError),
          new IllegalStateException("a bug")
        }) {
      assertFalse(StoreException.isBusy(t), t::toString);
    }
  }

  @Test
  void theBusyAnswerSaysBusyInEachApisOwnErrorFormat() {
    String v4 = ErrorBodies.busy(ApiFlavor.MATTERMOST, "req1");
    assertTrue(v4.contains("\"id\":\"api.context.database_busy.app_error\""), v4);
    assertTrue(v4.contains("\"status_code\":503") && v4.contains("\"request_id\":\"req1\""), v4);
    assertTrue(v4.contains("\"message\":\"" + ErrorBodies.BUSY + "\""), v4);
    assertTrue(ErrorBodies.BUSY.contains("busy") && !ErrorBodies.BUSY.contains("unavailable"));
    String v1 = ErrorBodies.busy(ApiFlavor.TAIPY, "req1");
    assertTrue(v1.equals("{\"message\":\"" + ErrorBodies.BUSY + "\"}"), v1);
    String nat = ErrorBodies.busy(ApiFlavor.NATIVE, "req1");
    assertTrue(
        nat.equals("{\"message\":\"" + ErrorBodies.BUSY + "\",\"request_id\":\"req1\"}"), nat);
  }

  @Test
  void aCycleOfCausesEnds() {
    RuntimeException a = new RuntimeException("a");
    RuntimeException b = new RuntimeException("b", a);
    a.initCause(b);
    assertFalse(StoreException.isUnavailable(a));
    assertFalse(StoreException.isBusy(a));
  }

  @Test
  void theAnswerIsInEachApisOwnErrorFormat() {
    String v4 = ErrorBodies.forStatus(ApiFlavor.MATTERMOST, 503, "req1", null);
    assertTrue(v4.contains("\"id\":\"api.context.database_unavailable.app_error\""), v4);
    assertTrue(v4.contains("\"status_code\":503") && v4.contains("\"request_id\":\"req1\""), v4);
    assertTrue(v4.contains(ErrorBodies.UNAVAILABLE), v4);
    String v1 = ErrorBodies.forStatus(ApiFlavor.TAIPY, 503, "req1", null);
    assertTrue(v1.equals("{\"message\":\"" + ErrorBodies.UNAVAILABLE + "\"}"), v1);
    String nat = ErrorBodies.forStatus(ApiFlavor.NATIVE, 503, "req1", null);
    assertTrue(
        nat.equals("{\"message\":\"" + ErrorBodies.UNAVAILABLE + "\",\"request_id\":\"req1\"}"),
        nat);
  }
}
