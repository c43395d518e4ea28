package dev.jobserver.api.common;

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
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The last word on every exception that reaches JAX-RS: the right status with a body in the API's
 * own format. Unexpected exceptions are logged with the request id and answered 500 without detail.
 */
@Provider
public class ApiExceptionMapper implements ExceptionMapper<Throwable> {

  private static final Logger LOG = Logger.getLogger(ApiExceptionMapper.class.getName());

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
