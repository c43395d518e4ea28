package dev.jobserver.security;

import dev.jobserver.common.Settings;
import dev.jobserver.common.WholeNumbers;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Bearer tokens that have been verified ({@link TokenIdentityStoreHandler}), so that the next
 * request with the same token skips the signature check and the claim parsing (about a third of a
 * request's CPU in a profile of POST /api/v4/jobs, see the README's Performance section).
 *
 * <p>An entry is the exact token string (every byte of header, claims and signature) and what its
 * verification produced: the caller principal (a {@link JsonWebToken}) and its roles, mapped as
 * {@link TokenRoles} mapped them. It is used only until the token's {@code exp} and at most {@code
 * JOBSERVER_TOKEN_CACHE_SECONDS} (default 300; 0 turns the cache off), so a rotated verification
 * key stops accepting an old token within that time. Tokens that failed verification are never
 * cached: every request with them is verified again. The cache holds at most {@link #MAX_ENTRIES}
 * tokens; when full it drops the expired ones, and all of them if none had expired.
 */
public final class VerifiedTokens {

  /** Most tokens held; a token is about 1 KB. */
  static final int MAX_ENTRIES = 10_000;

  /** Built on first use (at deployment, see {@link SecurityStartup}). */
  private static final class Shared {
    static final VerifiedTokens INSTANCE =
        new VerifiedTokens(
            ttlSetting(Settings.get("JOBSERVER_TOKEN_CACHE_SECONDS")),
            tokenAge(Settings.get("mp.jwt.verify.token.age")));
  }

  /** The setting, or 0 (every token verified, the safe side) with an error in the log. */
  static long ttlSetting(String value) {
    try {
      return seconds(value);
    } catch (IllegalArgumentException e) {
      Logger.getLogger(VerifiedTokens.class.getName())
          .severe(e.getMessage() + "; verified tokens are not remembered");
      return 0;
    }
  }

  private record Entry(CredentialValidationResult result, long usableUntilMillis) {}

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final long ttlMillis;
  private final long maxTokenAgeMillis;

  /**
   * @param ttlSeconds longest use of a verification (0: none is kept)
   * @param maxTokenAgeSeconds {@code mp.jwt.verify.token.age}: Payara refuses a token issued longer
   *     ago than this, so the cache does too (0: not set; negative: unknown, nothing is kept)
   */
  VerifiedTokens(long ttlSeconds, long maxTokenAgeSeconds) {
    this.ttlMillis = maxTokenAgeSeconds < 0 ? 0 : ttlSeconds * 1000;
    this.maxTokenAgeMillis = maxTokenAgeSeconds * 1000;
  }

  public static VerifiedTokens instance() {
    return Shared.INSTANCE;
  }

  static long seconds(String value) {
    return WholeNumbers.parse(
        value, 300, 0, 86_400, Settings.describe("JOBSERVER_TOKEN_CACHE_SECONDS"));
  }

  /**
   * {@code mp.jwt.verify.token.age} in seconds, 0 when unset. A value that is not a whole number of
   * seconds turns the cache off (-1): then Payara alone judges the token's age.
   */
  static long tokenAge(String value) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    OptionalLong n = WholeNumbers.lenient(value);
    return n.isPresent() ? Math.max(0, n.getAsLong()) : -1;
  }

  /** The verification result for exactly this token, or null if it must be verified. */
  public CredentialValidationResult lookup(String token, long nowMillis) {
    if (token == null) {
      return null;
    }
    Entry e = entries.get(token);
    if (e == null) {
      return null;
    }
    if (nowMillis >= e.usableUntilMillis) {
      entries.remove(token, e);
      return null;
    }
    return e.result;
  }

  /**
   * Records a token that has just been verified, with what its verification produced (the caller
   * principal and the roles), until its {@code exp} (and {@code iat} + {@code
   * mp.jwt.verify.token.age}) and at most the cache lifetime.
   *
   * @param expSeconds the token's {@code exp}; without it, the token is not kept
   * @param iatSeconds its {@code iat}; without it, not kept when a token age is set
   */
  public void remember(
      String token,
      CredentialValidationResult result,
      Long expSeconds,
      Long iatSeconds,
      long nowMillis) {
    if (ttlMillis == 0
        || token == null
        || result.getStatus() != CredentialValidationResult.Status.VALID
        || entries.containsKey(token)) {
      return;
    }
    if (expSeconds == null || expSeconds * 1000 <= nowMillis) {
      return;
    }
    long until = Math.min(nowMillis + ttlMillis, expSeconds * 1000);
    if (maxTokenAgeMillis > 0) {
      if (iatSeconds == null) {
        return;
      }
      until = Math.min(until, iatSeconds * 1000 + maxTokenAgeMillis);
    }
    if (until <= nowMillis) {
      return;
    }
    if (entries.size() >= MAX_ENTRIES) {
      entries.values().removeIf(old -> nowMillis >= old.usableUntilMillis);
      if (entries.size() >= MAX_ENTRIES) {
        entries.clear();
      }
    }
    entries.put(token, new Entry(result, until));
  }

  int size() {
    return entries.size();
  }
}
