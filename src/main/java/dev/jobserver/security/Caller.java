package dev.jobserver.security;

import jakarta.ws.rs.core.SecurityContext;
import java.security.Principal;
import org.eclipse.microprofile.jwt.JsonWebToken;

/** Who is calling, for the job event's actor: the token's subject. */
public final class Caller {
  private Caller() {}

  public static String actor(SecurityContext security) {
    Principal p = security == null ? null : security.getUserPrincipal();
    if (p == null) {
      return "anonymous";
    }
    if (p instanceof JsonWebToken jwt && jwt.getSubject() != null) {
      return jwt.getSubject();
    }
    return p.getName();
  }
}
