package dev.jobserver.security;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.security.enterprise.CallerPrincipal;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.jwt.Claims;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The caller of a request whose token {@link JwksTokenVerifier} verified: the principal the
 * container sees, as Payara's MP-JWT principal is for tokens it verifies. Claims read as MP-JWT
 * specifies (and as Payara's principal does): standard time claims as {@code Long}, {@code groups}
 * and {@code aud} as a {@code Set<String>}, strings as {@code String}, anything else as its JSON-P
 * value.
 */
final class VerifiedJwt extends CallerPrincipal implements JsonWebToken {

  private static final long serialVersionUID = 1L;

  private final transient Map<String, JsonValue> claims;

  VerifiedJwt(String name, Map<String, JsonValue> claims) {
    super(name);
    this.claims = Map.copyOf(claims);
  }

  @Override
  public Set<String> getClaimNames() {
    return claims.keySet();
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T getClaim(String claimName) {
    JsonValue value = claims.get(claimName);
    if (value == null) {
      return null;
    }
    Class<?> type = standardType(claimName);
    if (type == Long.class && value instanceof JsonNumber n) {
      return (T) Long.valueOf(n.longValue());
    }
    if (type == Set.class) {
      if (value instanceof JsonString s) {
        return (T) Set.of(s.getString());
      }
      if (value instanceof JsonArray a) {
        Set<String> strings = new LinkedHashSet<>();
        for (JsonValue item : a) {
          if (item instanceof JsonString s) {
            strings.add(s.getString());
          }
        }
        return (T) strings;
      }
    }
    if (value instanceof JsonString s) {
      return (T) s.getString();
    }
    return (T) value;
  }

  private static Class<?> standardType(String name) {
    try {
      return Claims.valueOf(name).getType();
    } catch (IllegalArgumentException notStandard) {
      return null;
    }
  }
}
