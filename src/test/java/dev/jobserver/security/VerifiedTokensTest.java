package dev.jobserver.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.security.enterprise.CallerPrincipal;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.junit.jupiter.api.Test;

class VerifiedTokensTest {

  static final long NOW = 1_800_000_000_000L;

  /** What Payara's identity store returns: a caller principal that is the parsed token. */
  static final class Jwt extends CallerPrincipal implements JsonWebToken {
    private final Map<String, Object> claims;

    Jwt(String raw, long iatSeconds, long expSeconds, Set<String> groups) {
      super("alice");
      claims = Map.of("raw_token", raw, "iat", iatSeconds, "exp", expSeconds, "groups", groups);
    }

    @Override
    public Set<String> getClaimNames() {
      return claims.keySet();
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getClaim(String name) {
      return (T) claims.get(name);
    }
  }

  static Jwt token(String raw, long expiresInSeconds) {
    return new Jwt(raw, NOW / 1000, NOW / 1000 + expiresInSeconds, Set.of("manage_jobs"));
  }

  @Test
  void aVerifiedTokenIsAnsweredWithItsPrincipalAndGroupsUntilItExpires() {
    VerifiedTokens cache = new VerifiedTokens(300, 0);
    Jwt jwt = token("a.b.c", 60);
    assertNull(cache.lookup("a.b.c", NOW));
    cache.remember(jwt, NOW);
    CredentialValidationResult r = cache.lookup("a.b.c", NOW + 59_999);
    assertNotNull(r);
    assertEquals(CredentialValidationResult.Status.VALID, r.getStatus());
    assertSame(jwt, r.getCallerPrincipal());
    assertEquals(Set.of("manage_jobs"), r.getCallerGroups());
    assertNull(cache.lookup("a.b.c", NOW + 60_000), "used at its exp");
    assertEquals(0, cache.size(), "an expired entry is dropped when met");
  }

  @Test
  void onlyTheExactTokenStringMatches() {
    VerifiedTokens cache = new VerifiedTokens(300, 0);
    cache.remember(token("header.claims.signature", 60), NOW);
    assertNull(cache.lookup("header.claims.signaturf", NOW));
    assertNull(cache.lookup("header.claims.signature ", NOW));
    assertNull(cache.lookup("header.claimz.signature", NOW));
    assertNull(cache.lookup(null, NOW));
    assertNotNull(cache.lookup("header.claims.signature", NOW));
  }

  @Test
  void theCacheLifetimeCapsALongLivedToken() {
    VerifiedTokens cache = new VerifiedTokens(5, 0);
    cache.remember(token("long", 3600), NOW);
    assertNotNull(cache.lookup("long", NOW + 4_999));
    assertNull(cache.lookup("long", NOW + 5_000));
  }

  @Test
  void theMaximumTokenAgeCapsItToo() {
    VerifiedTokens cache = new VerifiedTokens(300, 100);
    // issued 90 s ago: Payara refuses it 10 s from now (mp.jwt.verify.token.age=100)
    cache.remember(new Jwt("aged", NOW / 1000 - 90, NOW / 1000 + 3600, Set.of()), NOW);
    assertNotNull(cache.lookup("aged", NOW + 9_999));
    assertNull(cache.lookup("aged", NOW + 10_000));
    cache.remember(new Jwt("too-old", NOW / 1000 - 100, NOW / 1000 + 3600, Set.of()), NOW);
    assertNull(cache.lookup("too-old", NOW));
  }

  @Test
  void nothingIsKeptWhenTheCacheIsOffOrTheTokenHasNoFuture() {
    VerifiedTokens off = new VerifiedTokens(0, 0);
    off.remember(token("t", 60), NOW);
    assertNull(off.lookup("t", NOW));
    VerifiedTokens on = new VerifiedTokens(300, 0);
    on.remember(token("expired", 0), NOW);
    on.remember(new Jwt("no-exp", NOW / 1000, 0, Set.of()), NOW);
    assertEquals(0, on.size());
  }

  @Test
  void aFullCacheDropsExpiredEntriesFirstAndOtherwiseStartsOver() {
    VerifiedTokens cache = new VerifiedTokens(300, 0);
    for (int i = 0; i < VerifiedTokens.MAX_ENTRIES; i++) {
      cache.remember(token("t" + i, i % 2 == 0 ? 10 : 60), NOW);
    }
    assertEquals(VerifiedTokens.MAX_ENTRIES, cache.size());
    cache.remember(token("new", 60), NOW + 20_000); // the 10 s half has expired by then
    assertEquals(VerifiedTokens.MAX_ENTRIES / 2 + 1, cache.size());
    assertNotNull(cache.lookup("t1", NOW + 20_000));
    for (int i = 0; cache.size() < VerifiedTokens.MAX_ENTRIES; i++) {
      cache.remember(token("u" + i, 60), NOW + 20_000);
    }
    cache.remember(token("last", 60), NOW + 20_000); // none expired: all go
    assertEquals(1, cache.size());
    assertNotNull(cache.lookup("last", NOW + 20_000));
  }

  @Test
  void anUnreadableTokenAgeSettingTurnsTheCacheOff() {
    assertEquals(0, VerifiedTokens.tokenAge(null));
    assertEquals(600, VerifiedTokens.tokenAge("600"));
    assertEquals(-1, VerifiedTokens.tokenAge("10m"));
    VerifiedTokens cache = new VerifiedTokens(300, VerifiedTokens.tokenAge("10m"));
    cache.remember(token("t", 60), NOW);
    assertNull(cache.lookup("t", NOW));
  }

  @Test
  void theLifetimeSettingIsChecked() {
    assertEquals(300, VerifiedTokens.seconds(null));
    assertEquals(0, VerifiedTokens.seconds(" 0 "));
    assertThrows(IllegalArgumentException.class, () -> VerifiedTokens.seconds("-1"));
    assertThrows(IllegalArgumentException.class, () -> VerifiedTokens.seconds("five"));
    assertEquals(0, VerifiedTokens.ttlSetting("five"), "a bad value leaves the cache off");
    assertEquals(60, VerifiedTokens.ttlSetting("60"));
  }
}
