package dev.jobserver.api.common;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.NotAuthorizedException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.ext.Provider;

/**
 * OPTIONS is answered by the JAX-RS runtime itself (the routes' methods), outside every resource
 * method and so outside their role checks: without a valid token it is a 401 like any other call.
 * No API here is meant for browsers on other origins, so no CORS preflight needs it.
 */
@Provider
@PreMatching
public class AnonymousOptions implements ContainerRequestFilter {

  @Override
  public void filter(ContainerRequestContext request) {
    if (HttpMethod.OPTIONS.equals(request.getMethod())
        && (request.getSecurityContext() == null
            || request.getSecurityContext().getUserPrincipal() == null)) {
      throw new NotAuthorizedException("Bearer");
    }
  }
}
