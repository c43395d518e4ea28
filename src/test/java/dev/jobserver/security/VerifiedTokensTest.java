package dev.jobserver.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.security.enterprise.CallerPrincipal;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VerifiedTokensTest {

  static final long NOW = 1_800_000_000_000L;

  /** A verification's result, as the identity store handler makes it. */
  static CredentialValidationResult verified(String subject, Set<String> roles) {
    return new CredentialValidationResult(new CallerPrincipal(subject), roles);
  }

  /** Remembers a token issued now that expires in the given number of seconds. */
  static void remember(VerifiedTokens cache, String raw, long expiresInSeconds) {
    cache.remember(
        raw,
        verified("alice", Set.of("manage_jobs")),
        NOW / 1000 + expiresInSeconds,
        NOW / 1000,
        NOW);
  }

  @Test
  void aVerifiedTokenIsAnsweredWithItsPrincipalAndGroupsUntilItExpires() {
    VerifiedTokens cache = new VerifiedTokens(300, 0);
    CredentialValidationResult result = verified("alice", Set.of("manage_jobs", "read_jobs"));
    assertNull(cache.lookup("a.b.c", NOW));
    cache.remember("a.b.c", result, NOW / 1000 + 60, NOW / 1000, NOW);
    CredentialValidationResult r = cache.lookup("a.b.c", NOW + 59_999);
    assertSame(result, r, "the principal and the roles (mapped ones included) as verified");
    assertEquals(Set.of("manage_jobs", "read_jobs"), r.getCallerGroups());
    assertNull(cache.lookup("a.b.c", NOW + 60_000), "used at its exp");
    assertEquals(0, cache.size(), "an expired entry is dropped when met");
  }

  @Test
  void onlyTheExactTokenStringMatches() {
    VerifiedTokens cache = new VerifiedTokens(300, 0);
    remember(cache, "header.claims.signature", 60);
    assertNull(cache.lookup("header.claims.signaturf", NOW));
    assertNull(cache.lookup("header.claims.signature ", NOW));
    assertNull(cache.lookup("header.claimz.signature", NOW));
    assertNull(cache.lookup(null, NOW));
    assertNotNull(cache.lookup("header.claims.signature", NOW));
  }

  @Test
  void theCacheLifetimeCapsALongLivedToken() {
    VerifiedTokens cache = new VerifiedTokens(5, 0);
    remember(cache, "long", 3600);
    assertNotNull(cache.lookup("long", NOW + 4_999));
    assertNull(cache.lookup("long", NOW + 5_000));
  }

  @Test
  void theMaximumTokenAgeCapsItToo() {
    VerifiedTokens cache = new VerifiedTokens(300, 100);
    // issued 90 s ago: Payara refuses it 10 s from now (mp.jwt.verify.token.age=100)
    cache.remember("aged", verified("a", Set.of()), NOW / 1000 + 3600, NOW / 1000 - 90, NOW);
    assertNotNull(cache.lookup("aged", NOW + 9_999));
    assertNull(cache.lookup("aged", NOW + 10_000));
    cache.remember("too-old", verified("a", Set.of()), NOW / 1000 + 3600, NOW / 1000 - 100, NOW);
    cache.remember("no-iat", verified("a", Set.of()), NOW / 1000 + 3600, null, NOW);
    assertNull(cache.lookup("no-iat", NOW), "without iat its age is unknown");
    assertNull(cache.lookup("too-old", NOW));
  }

  @Test
  void nothingIsKeptWhenTheCacheIsOffOrTheTokenHasNoFuture() {
    VerifiedTokens off = new VerifiedTokens(0, 0);
    remember(off, "t", 60);
    assertNull(off.lookup("t", NOW));
    VerifiedTokens on = new VerifiedTokens(300, 0);
    remember(on, "expired", 0);
    on.remember("no-exp", verified("a", Set.of()), null, NOW / 1000, NOW);
    on.remember("refused", CredentialValidationResult.INVALID_RESULT, NOW / 1000 + 60, null, NOW);
    on.remember(null, verified("a", Set.of()), NOW / 1000 + 60, NOW / 1000, NOW);
    assertEquals(0, on.size());
  }

  @Test
  void aFullCacheDropsExpiredEntriesFirstAndOtherwiseStartsOver() {
    VerifiedTokens cache = new VerifiedTokens(300, 0);
    for (int i = 0; i < VerifiedTokens.MAX_ENTRIES; i++) {
      remember(cache, "t" + i, i % 2 == 0 ? 10 : 60);
    }
    assertEquals(VerifiedTokens.MAX_ENTRIES, cache.size());
    cache.remember(
        "new",
        verified("a", Set.of()),
        NOW / 1000 + 80,
        NOW / 1000,
        NOW + 20_000); // the 10 s half has expired by then
    assertEquals(VerifiedTokens.MAX_ENTRIES / 2 + 1, cache.size());
    assertNotNull(cache.lookup("t1", NOW + 20_000));
    for (int i = 0; cache.size() < VerifiedTokens.MAX_ENTRIES; i++) {
      cache.remember("u" + i, verified("a", Set.of()), NOW / 1000 + 80, NOW / 1000, NOW + 20_000);
    }
    cache.remember(
        "last",
        verified("a", Set.of()),
        NOW / 1000 + 80,
        NOW / 1000,
        NOW + 20_000); // none expired: all go
    assertEquals(1, cache.size());
    assertNotNull(cache.lookup("last", NOW + 20_000));
  }

  @Test
  void anUnreadableTokenAgeSettingTurnsTheCacheOff() {
    assertEquals(0, VerifiedTokens.tokenAge(null));
    assertEquals(600, VerifiedTokens.tokenAge("600"));
    assertEquals(-1, VerifiedTokens.tokenAge("10m"));
    VerifiedTokens cache = new VerifiedTokens(300, VerifiedTokens.tokenAge("10m"));
    remember(cache, "t", 60);
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
