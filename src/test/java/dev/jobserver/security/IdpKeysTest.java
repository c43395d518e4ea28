package dev.jobserver.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IdpKeysTest {

  static final long TTL = 300_000;
  static final long INTERVAL = 5_000;
  static RSAKey k1;
  static RSAKey k2;

  @BeforeAll
  static void keys() throws Exception {
    k1 = new RSAKeyGenerator(2048).keyID("k1").generate();
    k2 = new RSAKeyGenerator(2048).keyID("k2").generate();
  }

  static List<JWK> find(IdpKeys keys, String kid) throws Exception {
    return keys.get(new JWKSelector(new JWKMatcher.Builder().keyID(kid).build()), null);
  }

  @Test
  void aKnownKeyIsServedFromTheCacheUntilItExpires() throws Exception {
    FakeIdp idp = new FakeIdp();
    idp.publish(k1);
    IdpKeys keys = idp.keys(TTL, INTERVAL);
    for (int i = 0; i < 100; i++) {
      assertEquals(1, find(keys, "k1").size());
    }
    assertEquals(1, idp.fetches.get());
    idp.advance(TTL - 1);
    find(keys, "k1");
    assertEquals(1, idp.fetches.get());
    idp.advance(1);
    find(keys, "k1");
    assertEquals(2, idp.fetches.get(), "fetched again once the cache expired");
  }

  @Test
  void aNewKeyIdFetchesTheKeysAgainAtOnce() throws Exception {
    FakeIdp idp = new FakeIdp();
    idp.publish(k1);
    IdpKeys keys = idp.keys(TTL, INTERVAL);
    find(keys, "k1");
    idp.advance(INTERVAL); // some time after the first fetch
    idp.publish(k1, k2); // the IdP rotates: a new active key
    assertEquals(List.of(k2.toPublicJWK()), find(keys, "k2"));
    assertEquals(2, idp.fetches.get());
    find(keys, "k2");
    find(keys, "k1");
    assertEquals(2, idp.fetches.get(), "both are in the cache now");
  }

  @Test
  void madeUpKeyIdsCannotMakeUsHammerTheIdp() throws Exception {
    FakeIdp idp = new FakeIdp();
    idp.publish(k1);
    IdpKeys keys = idp.keys(TTL, INTERVAL);
    for (int i = 0; i < 1000; i++) {
      assertTrue(find(keys, UUID.randomUUID().toString()).isEmpty());
    }
    assertEquals(2, idp.fetches.get(), "the first fetch and one refetch in the interval");
    assertEquals(1, find(keys, "k1").size(), "known keys still work");

    // a key published now waits for the interval, then its first token fetches it
    idp.publish(k1, k2);
    assertTrue(find(keys, "k2").isEmpty());
    idp.advance(INTERVAL - 1);
    assertTrue(find(keys, "k2").isEmpty());
    assertEquals(2, idp.fetches.get());
    idp.advance(1);
    assertEquals(1, find(keys, "k2").size());
    assertEquals(3, idp.fetches.get());

    // and so on: at most two fetches in any interval, however many requests
    for (int second = 0; second < 60; second++) {
      for (int i = 0; i < 50; i++) {
        find(keys, UUID.randomUUID().toString());
      }
      idp.advance(1_000);
    }
    int perInterval = (int) (60_000 / INTERVAL);
    assertTrue(
        idp.fetches.get() <= 3 + 2 * perInterval, idp.fetches.get() + " fetches in a minute");
  }

  @Test
  void aSetFetchedForATokenIsNotFetchedAgainForIt() throws Exception {
    FakeIdp idp = new FakeIdp();
    idp.publish(k1);
    IdpKeys keys = idp.keys(TTL, INTERVAL);
    assertTrue(find(keys, "k2").isEmpty()); // a cold cache: one fetch, no k2 in it
    assertEquals(1, idp.fetches.get());
    idp.publish(k1, k2);
    assertEquals(1, find(keys, "k2").size(), "the interval's second fetch was left for this");
    assertEquals(2, idp.fetches.get());
    idp.publish(k2);
    idp.advance(TTL); // expired: fetched for the next token, and not again when k1 is missing
    assertTrue(find(keys, "k1").isEmpty());
    assertEquals(3, idp.fetches.get());
  }

  @Test
  void aWithdrawnKeyIsRefusedOnceTheCacheExpires() throws Exception {
    FakeIdp idp = new FakeIdp();
    idp.publish(k1, k2);
    IdpKeys keys = idp.keys(TTL, INTERVAL);
    assertEquals(1, find(keys, "k1").size());
    idp.publish(k2); // k1 withdrawn
    idp.advance(TTL - 1);
    assertEquals(1, find(keys, "k1").size(), "still cached");
    idp.advance(1);
    assertTrue(find(keys, "k1").isEmpty());
    assertEquals(1, find(keys, "k2").size());
  }

  @Test
  void whileTheIdpIsDownTheKeysFetchedLastStayInUse() throws Exception {
    FakeIdp idp = new FakeIdp();
    idp.publish(k1);
    IdpKeys keys = idp.keys(TTL, INTERVAL);
    find(keys, "k1");
    idp.down = true;
    idp.advance(TTL + 1);
    assertEquals(1, find(keys, "k1").size());
    assertTrue(idp.fetches.get() >= 2, "it did try");
  }
}
