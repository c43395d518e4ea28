package dev.jobserver.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SingleSignOnTest {

  static final String JWKS = "https://sso.example.com/realms/corp/protocol/openid-connect/certs";

  static SingleSignOn from(String... nameValue) {
    Map<String, String> settings = new HashMap<>();
    for (int i = 0; i < nameValue.length; i += 2) {
      settings.put(nameValue[i], nameValue[i + 1]);
    }
    return SingleSignOn.from(settings::get);
  }

  static String refused(String... nameValue) {
    return assertThrows(IllegalArgumentException.class, () -> from(nameValue)).getMessage();
  }

  @Test
  void withoutSettingsRolesAreGroupsAndPayaraVerifies() {
    SingleSignOn sso = from("mp.jwt.verify.issuer", "jobserver-dev");
    assertFalse(sso.verifiesWithJwksUrl());
    assertNull(sso.clientId());
    assertEquals("jobserver-dev", sso.issuer());
    assertEquals(
        Set.of("read_jobs"),
        sso.roles().of(Claims.of("{'groups':['read_jobs'],'roles':['manage_jobs']}")));
  }

  @Test
  void aJwksUrlIsVerifiedByUsWithTheMpJwtRules() {
    SingleSignOn sso =
        from(
            "mp.jwt.verify.publickey.location", JWKS,
            "mp.jwt.verify.issuer", "https://sso.example.com/realms/corp",
            "mp.jwt.verify.audiences", "jobserver, account",
            "mp.jwt.verify.token.age", "3600",
            "mp.jwt.verify.clock.skew", "30",
            "JOBSERVER_ROLES_CLAIM", "realm_access.roles",
            "JOBSERVER_ROLE_MAP", "jobs-admin=manage_jobs",
            "JOBSERVER_OIDC_CLIENT_ID", " jobserver-console ");
    assertTrue(sso.verifiesWithJwksUrl());
    assertEquals("jobserver-console", sso.clientId());
    JwksTokenVerifier.Rules rules = sso.rules();
    assertEquals("https://sso.example.com/realms/corp", rules.issuer());
    assertEquals(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), rules.algorithms());
    assertEquals(Set.of("jobserver", "account"), rules.audiences());
    assertEquals(3600L, rules.maxAgeSeconds());
    assertEquals(30, rules.clockSkewSeconds());
    assertEquals(
        Set.of("manage_jobs"),
        sso.roles().of(Claims.of("{'realm_access':{'roles':['jobs-admin']}}")));
    assertTrue(sso.describe().contains("fetched again for a new key id"), sso.describe());
    assertTrue(
        from(
                "mp.jwt.verify.publickey.location",
                "HTTP://idp:8080/certs",
                "mp.jwt.verify.issuer",
                "x")
            .verifiesWithJwksUrl());
    assertFalse(
        from("mp.jwt.verify.publickey.location", "file:/keys/idp.pem", "mp.jwt.verify.issuer", "x")
            .verifiesWithJwksUrl());
  }

  @Test
  void malformedSettingsAreRefusedNamingTheSetting() {
    assertTrue(
        refused("JOBSERVER_ROLES_CLAIM", "realm_access..roles")
            .startsWith(
                "JOBSERVER_ROLES_CLAIM [jobserver.roles.claim] 'realm_access..roles' has an empty segment"));
    assertTrue(
        refused("JOBSERVER_ROLE_MAP", "admins:manage_jobs")
            .startsWith(
                "JOBSERVER_ROLE_MAP [jobserver.role.map] 'admins:manage_jobs' is not of the form"));
    assertTrue(
        refused("mp.jwt.verify.publickey.location", JWKS)
            .startsWith("MP_JWT_VERIFY_ISSUER [mp.jwt.verify.issuer] is not set"));
    assertTrue(
        refused(
                "mp.jwt.verify.publickey.location", "https://bad host/certs",
                "mp.jwt.verify.issuer", "x")
            .startsWith("MP_JWT_VERIFY_PUBLICKEY_LOCATION"));
    assertTrue(
        refused(
                "mp.jwt.verify.publickey.location",
                JWKS,
                "mp.jwt.verify.issuer",
                "x",
                "mp.jwt.verify.publickey.algorithm",
                "HS256")
            .contains("'HS256' is not RS256 or ES256"));
    assertTrue(
        refused(
                "mp.jwt.verify.publickey.location",
                JWKS,
                "mp.jwt.verify.issuer",
                "x",
                "mp.jwt.verify.token.age",
                "1h")
            .contains("must be a whole number of seconds, got '1h'"));
    assertTrue(
        refused(
                "mp.jwt.verify.publickey.location",
                JWKS,
                "mp.jwt.verify.issuer",
                "x",
                "mp.jwt.verify.clock.skew",
                "-5")
            .contains("must not be negative"));
  }

  @Test
  void theConsolesExtraScopesAreOneSpaceApartAndPlainScopeTokens() {
    assertNull(from("JOBSERVER_OIDC_CLIENT_ID", "c").scope());
    assertEquals(
        "api://jobserver/jobs offline_access",
        from("JOBSERVER_OIDC_SCOPE", "  api://jobserver/jobs \t offline_access ").scope());
    assertEquals(
        "JOBSERVER_OIDC_SCOPE [jobserver.oidc.scope] 'jobs \"x\"' is not a list of OAuth scopes (separated by spaces, no"
            + " quotes or \\)",
        refused("JOBSERVER_OIDC_SCOPE", "jobs \"x\""));
  }
}
