package dev.jobserver.security;

import jakarta.ws.rs.core.SecurityContext;
import java.security.Principal;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who is calling, for the job's creator and the job event's actor: the token's subject, cut to the
 * 255 characters those columns hold (a longer subject in a valid token must not fail the request).
 */
public final class Caller {
  static final int MAX_LENGTH = 255;

  private Caller() {}

  public static String actor(SecurityContext security) {
    Principal p = security == null ? null : security.getUserPrincipal();
    if (p == null) {
      return "anonymous";
    }
    String name =
        p instanceof JsonWebToken jwt && jwt.getSubject() != null ? jwt.getSubject() : p.getName();
    if (name == null) {
      return "anonymous";
    }
    return name.length() <= MAX_LENGTH ? name : name.substring(0, MAX_LENGTH);
  }
}
