package dev.jobserver.security;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.CachingJWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetSourceWrapper;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.OutageTolerantJWKSetSource;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.jwk.source.RateLimitedJWKSetSource;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import java.net.URL;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The IdP's signing keys, from its JWKS URL, so that a rotated key works without a restart.
 *
 * <p>The key set is cached for {@link #TIME_TO_LIVE_MS}; a key the IdP withdrew is refused once it
 * expires. A token whose key id is not in the cached set makes the set be fetched again at once, so
 * a key the IdP has just published is accepted on its first token. Those refetches are rate-limited
 * (nimbus' {@link RateLimitedJWKSetSource}: at most two fetches, of any cause, in {@link
 * #MIN_REFETCH_INTERVAL_MS}), so that tokens with made-up key ids cannot make us hammer the IdP: a
 * refetch refused by the limit is a key not found (401), and a new key waits at most that interval.
 * When the IdP cannot be reached, the keys fetched last stay in use (for ten times the cache
 * lifetime).
 *
 * <p>These are nimbus' own sources, put together as its {@code JWKSourceBuilder} would; only the
 * clock is ours, so that tests can move it.
 */
public final class IdpKeys implements JWKSource<SecurityContext> {

  static final long TIME_TO_LIVE_MS = 5 * 60_000;
  static final long MIN_REFETCH_INTERVAL_MS = 5_000;

  /** How long a request waits for another request's fetch of the key set. */
  static final long REFRESH_TIMEOUT_MS = 15_000;

  static final int HTTP_TIMEOUT_MS = 5_000;
  static final int SIZE_LIMIT_BYTES = 1024 * 1024;

  private final JWKSetSource<SecurityContext> source;
  private final LongSupplier clock;

  /** Fetches from the IdP so far (tried, whatever came of them). */
  private final AtomicLong fetches = new AtomicLong();

  IdpKeys(
      JWKSetSource<SecurityContext> fetch,
      long timeToLiveMs,
      long minRefetchIntervalMs,
      LongSupplier clock) {
    if (minRefetchIntervalMs >= timeToLiveMs) {
      throw new IllegalArgumentException("the refetch interval must be shorter than the lifetime");
    }
    JWKSetSource<SecurityContext> counted =
        new JWKSetSourceWrapper<>(fetch) {
          @Override
          public JWKSet getJWKSet(
              JWKSetCacheRefreshEvaluator evaluator, long currentTime, SecurityContext context)
              throws KeySourceException {
            fetches.incrementAndGet();
            return getSource().getJWKSet(evaluator, currentTime, context);
          }
        };
    this.source =
        new CachingJWKSetSource<>(
            new RateLimitedJWKSetSource<>(
                new OutageTolerantJWKSetSource<>(counted, timeToLiveMs * 10, null),
                minRefetchIntervalMs,
                null),
            timeToLiveMs,
            REFRESH_TIMEOUT_MS,
            null);
    this.clock = clock;
  }

  public static IdpKeys fromUrl(URL jwksUrl) {
    return new IdpKeys(
        new URLBasedJWKSetSource<>(
            jwksUrl,
            new DefaultResourceRetriever(HTTP_TIMEOUT_MS, HTTP_TIMEOUT_MS, SIZE_LIMIT_BYTES)),
        TIME_TO_LIVE_MS,
        MIN_REFETCH_INTERVAL_MS,
        System::currentTimeMillis);
  }

  /**
   * The keys that match, fetching the set again (within the rate limit) when none does. Like
   * nimbus' {@code JWKSetBasedJWKSource}, with our clock, and without fetching again a set that was
   * fetched for this very call (a cold or expired cache): that would spend the rate limit's second
   * fetch, which a key published a moment later needs.
   */
  @Override
  public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
    long now = clock.getAsLong();
    long fetchedBefore = fetches.get();
    JWKSet cached = source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, context);
    List<JWK> found = selector.select(cached);
    if (!found.isEmpty() || fetches.get() != fetchedBefore) {
      return found;
    }
    try {
      JWKSet fresh =
          source.getJWKSet(JWKSetCacheRefreshEvaluator.referenceComparison(cached), now, context);
      return selector.select(fresh);
    } catch (RateLimitReachedException e) {
      return List.of();
    }
  }
}
