package dev.jobserver.security;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetRetrievalException;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** An IdP's JWKS endpoint for the tests: the keys it publishes, how often it was asked, a clock. */
final class FakeIdp implements JWKSetSource<SecurityContext> {
  final AtomicInteger fetches = new AtomicInteger();
  final AtomicLong clock = new AtomicLong(1_800_000_000_000L);
  volatile List<JWK> published = List.of();
  volatile boolean down;

  void publish(JWK... keys) {
    published = List.of(keys);
  }

  void advance(long millis) {
    clock.addAndGet(millis);
  }

  IdpKeys keys(long timeToLiveMs, long minRefetchIntervalMs) {
    return new IdpKeys(this, timeToLiveMs, minRefetchIntervalMs, clock::get);
  }

  @Override
  public JWKSet getJWKSet(
      JWKSetCacheRefreshEvaluator refreshEvaluator, long currentTime, SecurityContext context)
      throws JWKSetRetrievalException {
    fetches.incrementAndGet();
    if (down) {
      throw new JWKSetRetrievalException("connection refused", new IOException("down"));
    }
    return new JWKSet(published.stream().map(JWK::toPublicJWK).toList());
  }

  @Override
  public void close() {}
}
