package dev.jobserver.api.common;

import dev.jobserver.job.StoreException;
import jakarta.ejb.EJBAccessException;
import jakarta.ejb.EJBException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The last word on every exception that reaches JAX-RS: the right status with a body in the API's
 * own format. A failure that says the database cannot be reached, however it is wrapped (the
 * store's, JPA's, EJB's), is 503 with {@code Retry-After}, logged as one line at most every {@value
 * #UNAVAILABLE_LOG_MILLIS} ms with the number of such answers since; one that says the database is
 * busy (it canceled a statement for a lock wait, a deadlock or a timeout, and the connection is
 * healthy) is a 503 that says so, with a shorter {@code Retry-After}, logged the same way.
 * Unexpected exceptions are logged with the request id and answered 500 without detail.
 */
@Provider
public class ApiExceptionMapper implements ExceptionMapper<Throwable> {

  private static final Logger LOG = Logger.getLogger(ApiExceptionMapper.class.getName());

  /** Seconds a client is asked to wait before it tries again while the database is unavailable. */
  public static final int RETRY_AFTER_SECONDS = 5;

  static final long UNAVAILABLE_LOG_MILLIS = 10_000;
  private static final AtomicLong unavailableLogged = new AtomicLong(Long.MIN_VALUE / 2);
  private static final AtomicLong unavailableSince = new AtomicLong();

  /** Seconds a client is asked to wait before it tries again while the database is busy. */
  public static final int BUSY_RETRY_AFTER_SECONDS = 2;

  private static final AtomicLong busyLogged = new AtomicLong(Long.MIN_VALUE / 2);
  private static final AtomicLong busySince = new AtomicLong();

  @Context private HttpServletRequest request;
  @Context private SecurityContext security;

  @Override
  public Response toResponse(Throwable thrown) {
    Throwable e = unwrap(thrown);
    String requestId = RequestIds.of(request);
    ApiFlavor flavor = ApiFlavor.of(request.getRequestURI());
    int status;
    String detail = null;
    String allow = null;
    if (e instanceof ApiException api) {
      return api.toResponse(requestId);
    } else if (e instanceof Bodies.BodyTooLargeException) {
      status = 413;
    } else if (e instanceof Bodies.BadBodyException) {
      status = 400;
      detail = e.getMessage();
    } else if (StoreException.isBusy(thrown)) {
      // the database canceled a statement (lock wait, deadlock, timeout): up, and the pool whole
      logBusy(requestId, thrown);
      return busy(flavor, requestId);
    } else if (StoreException.isUnavailable(thrown)) {
      // however it is wrapped (the store's, JPA's, EJB's, the runtime's around a streamed body)
      logUnavailable(requestId, thrown);
      return unavailable(flavor, requestId);
    } else if (e instanceof ForbiddenException
        || e instanceof EJBAccessException
        || e instanceof NotAuthorizedException) {
      status = isAnonymous() ? 401 : 403;
    } else if (e instanceof WebApplicationException wae) {
      status = wae.getResponse().getStatus();
      allow = wae.getResponse().getHeaderString("Allow");
      if ((status == 405 || status == 406 || status == 415) && isAnonymous()) {
        // which methods and media types a route has is part of the API's description: not for
        // callers without a valid token, who learn no more from any method than from GET
        status = 401;
        allow = null;
      } else if (status < 500) {
        detail = e.getMessage();
      }
    } else {
      status = 500;
    }
    if (status >= 500) {
      LOG.log(
          Level.SEVERE,
          "Request "
              + requestId
              + " to "
              + request.getMethod()
              + " "
              + request.getRequestURI()
              + " failed",
          thrown);
    }
    Response.ResponseBuilder b =
        Response.status(status)
            .type("application/json")
            .entity(ErrorBodies.forStatus(flavor, status, requestId, detail));
    if (status == 401) {
      b.header("WWW-Authenticate", "Bearer");
    }
    if (allow != null) {
      b.header("Allow", allow);
    }
    return b.build();
  }

  /** 503 in the API's error format with {@code Retry-After}: the database cannot be reached. */
  public static Response unavailable(ApiFlavor flavor, String requestId) {
    return Response.status(503)
        .type("application/json")
        .header("Retry-After", Integer.toString(RETRY_AFTER_SECONDS))
        .entity(ErrorBodies.forStatus(flavor, 503, requestId, null))
        .build();
  }

  /**
   * 503 in the API's error format with {@code Retry-After}: the database is busy (it canceled a
   * statement that waited or ran too long, or broke a deadlock); the client may try again soon.
   */
  public static Response busy(ApiFlavor flavor, String requestId) {
    return Response.status(503)
        .type("application/json")
        .header("Retry-After", Integer.toString(BUSY_RETRY_AFTER_SECONDS))
        .entity(ErrorBodies.busy(flavor, requestId))
        .build();
  }

  private void logUnavailable(String requestId, Throwable thrown) {
    logRarely("unavailable", unavailableLogged, unavailableSince, requestId, thrown);
  }

  private void logBusy(String requestId, Throwable thrown) {
    logRarely("busy", busyLogged, busySince, requestId, thrown);
  }

  private void logRarely(
      String what, AtomicLong logged, AtomicLong since, String requestId, Throwable thrown) {
    since.incrementAndGet();
    long now = System.currentTimeMillis();
    long last = logged.get();
    if (now - last < UNAVAILABLE_LOG_MILLIS || !logged.compareAndSet(last, now)) {
      return;
    }
    Throwable root = thrown;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    LOG.warning(
        "The database is "
            + what
            + ": answered 503 to "
            + since.getAndSet(0)
            + " requests since the last such line; the latest, "
            + requestId
            + " to "
            + request.getMethod()
            + " "
            + request.getRequestURI()
            + ", failed with "
            + root.getClass().getName()
            + ": "
            + root.getMessage());
  }

  private boolean isAnonymous() {
    return security == null || security.getUserPrincipal() == null;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while (e instanceof EJBException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
