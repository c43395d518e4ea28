package dev.jobserver.security;

import static dev.jobserver.job.JsonProviders.JSON;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.text.ParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Verifies a bearer token against the IdP's keys ({@link IdpKeys}) with the checks MP-JWT makes
 * (Payara's {@code JwtTokenParser}): a signed JWT, {@code alg} RS256 or ES256 (or the one {@code
 * mp.jwt.verify.publickey.algorithm} names), a valid signature, {@code iss} equal to {@code
 * mp.jwt.verify.issuer}, {@code sub}, {@code exp} and {@code iat} present, not expired ({@code
 * mp.jwt.verify.clock.skew} allowed), not older than {@code mp.jwt.verify.token.age} when set, and
 * one of {@code mp.jwt.verify.audiences} in {@code aud} when set.
 *
 * <p>Two differences, both for tokens of real IdPs: a {@code jti} is not required (Entra ID's
 * access tokens have none), and the header's {@code typ} may also be absent (Okta's access tokens)
 * or {@code at+jwt} (RFC 9068); any other {@code typ} is refused.
 */
public final class JwksTokenVerifier {

  /** What a token must satisfy, from the MP-JWT settings. */
  public record Rules(
      String issuer,
      Set<JWSAlgorithm> algorithms,
      Set<String> audiences,
      Long maxAgeSeconds,
      long clockSkewSeconds) {}

  /** A token that passed: the principal for the container and its claims, for the roles. */
  public record Verified(VerifiedJwt principal, JsonObject claims) {}

  /** Why a token was refused; the message is for the log, never for the client. */
  public static final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;

    Rejected(String message) {
      super(message, null, false, false);
    }
  }

  private final DefaultJWTProcessor<SecurityContext> signatures = new DefaultJWTProcessor<>();
  private final Rules rules;
  private final LongSupplier clock;

  public JwksTokenVerifier(JWKSource<SecurityContext> keys, Rules rules, LongSupplier clock) {
    this.rules = rules;
    this.clock = clock;
    signatures.setJWSTypeVerifier(
        new DefaultJOSEObjectTypeVerifier<>(
            JOSEObjectType.JWT,
            new JOSEObjectType("at+jwt"),
            new JOSEObjectType("application/at+jwt"),
            null));
    signatures.setJWSKeySelector(new JWSVerificationKeySelector<>(rules.algorithms(), keys));
    // the claims are checked below, as MP-JWT checks them (nimbus' default allows 60 s of skew)
    signatures.setJWTClaimsSetVerifier((claims, context) -> {});
  }

  public Verified verify(String token) throws Rejected {
    if (token == null || token.isEmpty()) {
      throw new Rejected("no token");
    }
    SignedJWT jwt;
    try {
      JWT parsed = JWTParser.parse(token);
      if (!(parsed instanceof SignedJWT signed)) {
        throw new Rejected("not a signed JWT (" + parsed.getClass().getSimpleName() + ")");
      }
      jwt = signed;
    } catch (ParseException e) {
      throw new Rejected("not a JWT: " + e.getMessage());
    }
    if (!rules.algorithms().contains(jwt.getHeader().getAlgorithm())) {
      throw new Rejected(
          "alg " + jwt.getHeader().getAlgorithm() + " is not one of " + rules.algorithms());
    }
    // the claims first, as MP-JWT does: a token of another issuer, or an expired one, never makes
    // the keys be fetched again
    JsonObject claims = claimsOf(jwt);
    String name = checkClaims(claims);
    try {
      signatures.process(jwt, null);
    } catch (BadJOSEException | JOSEException e) {
      String kid = jwt.getHeader().getKeyID();
      throw new Rejected(
          String.valueOf(e.getMessage()).contains("no matching key")
              ? "no key "
                  + kid
                  + " among the IdP's keys (fetched again for a new key id, at most every "
                  + IdpKeys.MIN_REFETCH_INTERVAL_MS / 1000
                  + " s)"
              : e.getMessage() + " (kid " + kid + ")");
    }
    Map<String, JsonValue> all = new HashMap<>(claims);
    all.put("raw_token", JSON.createValue(token));
    return new Verified(new VerifiedJwt(name, all), claims);
  }

  /** The MP-JWT claim checks; returns the caller's name (upn, preferred_username or sub). */
  private String checkClaims(JsonObject claims) throws Rejected {
    String iss = string(claims, "iss");
    if (!rules.issuer().equals(iss)) {
      throw new Rejected("issuer " + iss + " is not the accepted " + rules.issuer());
    }
    if (string(claims, "sub") == null) {
      throw new Rejected("no sub claim");
    }
    long exp = seconds(claims, "exp");
    long iat = seconds(claims, "iat");
    long now = clock.getAsLong() / 1000 - rules.clockSkewSeconds();
    if (now >= exp || iat >= exp) {
      throw new Rejected("expired (exp " + exp + ")");
    }
    if (rules.maxAgeSeconds() != null && now - iat > rules.maxAgeSeconds()) {
      throw new Rejected("issued more than " + rules.maxAgeSeconds() + " s ago");
    }
    if (!rules.audiences().isEmpty() && !hasAudience(claims.get("aud"))) {
      throw new Rejected("aud " + claims.get("aud") + " has none of " + rules.audiences());
    }
    for (String claim : new String[] {"upn", "preferred_username", "sub"}) {
      String name = string(claims, claim);
      if (name != null) {
        return name;
      }
    }
    throw new Rejected("no caller name"); // unreachable: sub is there
  }

  private boolean hasAudience(JsonValue aud) {
    if (aud instanceof JsonString s) {
      return rules.audiences().contains(s.getString());
    }
    if (aud instanceof JsonArray a) {
      for (JsonValue v : a) {
        if (v instanceof JsonString s && rules.audiences().contains(s.getString())) {
          return true;
        }
      }
    }
    return false;
  }

  private static JsonObject claimsOf(SignedJWT jwt) throws Rejected {
    try (JsonReader reader = JSON.createReader(new StringReader(jwt.getPayload().toString()))) {
      return reader.readObject();
    } catch (RuntimeException e) {
      throw new Rejected("the claims are not a JSON object");
    }
  }

  private static String string(JsonObject claims, String name) {
    return claims.get(name) instanceof JsonString s ? s.getString() : null;
  }

  private static long seconds(JsonObject claims, String name) throws Rejected {
    if (claims.get(name) instanceof JsonNumber n) {
      return n.longValue();
    }
    throw new Rejected("no numeric " + name + " claim");
  }
}
