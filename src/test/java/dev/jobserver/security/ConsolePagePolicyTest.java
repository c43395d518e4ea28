package dev.jobserver.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConsolePagePolicyTest {

  static String connectSrc(String policy) {
    for (String directive : policy.split(";")) {
      if (directive.trim().startsWith("connect-src ")) {
        return directive.trim();
      }
    }
    throw new AssertionError("no connect-src in " + policy);
  }

  @Test
  void withoutAConsoleClientTheConsoleTalksToThisServerOnly() {
    String policy = ConsolePagePolicy.forConsole("https://sso.example.com/realms/corp", null);
    assertEquals("connect-src 'self'", connectSrc(policy));
    assertTrue(policy.contains("script-src 'self';"), policy);
    assertTrue(policy.contains("form-action 'none'"), policy);
    assertTrue(policy.contains("frame-ancestors 'none'"), policy);
  }

  @Test
  void withAConsoleClientTheIssuersOriginMayBeFetched() {
    assertEquals(
        "connect-src 'self' https://sso.example.com",
        connectSrc(
            ConsolePagePolicy.forConsole(
                "https://SSO.example.com/realms/corp", "jobserver-console")));
    assertEquals(
        "connect-src 'self' http://localhost:8582",
        connectSrc(
            ConsolePagePolicy.forConsole("http://localhost:8582/realms/jobserver", "console")));
    assertEquals(
        "connect-src 'self' https://login.microsoftonline.com",
        connectSrc(
            ConsolePagePolicy.forConsole(
                "https://login.microsoftonline.com/0b2c5e5e-0000-4000-8000-000000000000/v2.0",
                "client")));
  }

  @Test
  void anIssuerThatIsNotAPlainWebUrlAddsNothing() {
    for (String issuer :
        new String[] {
          "jobserver-dev",
          "https://sso.example.com; script-src *",
          "https://sso.example.com%3B/realms/x",
          "javascript:alert(1)",
          "https://user:pw@sso.example.com/realms/corp",
          "ftp://sso.example.com",
          "https:///nohost",
          null
        }) {
      String policy = ConsolePagePolicy.forConsole(issuer, "console");
      assertEquals("connect-src 'self'", connectSrc(policy), String.valueOf(issuer));
      assertEquals(9, policy.split(";").length, policy);
    }
  }

  @Test
  void theOriginKeepsTheSchemeHostAndPortOnly() {
    assertEquals(
        "https://sso.example.com:8443",
        ConsolePagePolicy.origin("https://sso.example.com:8443/a?b#c"));
    assertEquals("http://[::1]:8582", ConsolePagePolicy.origin("http://[::1]:8582/realms/x"));
    assertNull(ConsolePagePolicy.origin("not a url"));
  }
}
