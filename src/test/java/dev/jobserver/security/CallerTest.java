package dev.jobserver.security;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.ws.rs.core.SecurityContext;
import java.security.Principal;
import org.junit.jupiter.api.Test;

class CallerTest {

  private static SecurityContext as(String name) {
    Principal p = name == null ? null : () -> name;
    return new SecurityContext() {
      @Override
      public Principal getUserPrincipal() {
        return p;
      }

      @Override
      public boolean isUserInRole(String role) {
        return false;
      }

      @Override
      public boolean isSecure() {
        return false;
      }

      @Override
      public String getAuthenticationScheme() {
        return "Bearer";
      }
    };
  }

  @Test
  void theCallerIsThePrincipalsNameCutToWhatTheColumnsHold() {
    assertEquals("alice", Caller.actor(as("alice")));
    assertEquals("anonymous", Caller.actor(as(null)));
    assertEquals("anonymous", Caller.actor(null));
    String longName = "x".repeat(300);
    assertEquals("x".repeat(255), Caller.actor(as(longName)));
  }
}
