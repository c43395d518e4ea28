package dev.jobserver.security;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a token carries roles: a dotted path through its claims to an array of strings, such as
 * {@code realm_access.roles} (Keycloak), {@code resource_access.jobserver.roles} (a Keycloak
 * client's roles) or {@code roles} (Entra ID app roles).
 *
 * <p>Claim names may themselves contain dots (a Keycloak client id such as {@code jobs.example}, an
 * Auth0-style namespaced claim {@code https://example.com/roles}): at each level the longest run of
 * the remaining segments that names a member is taken, so {@code resource_access.jobs.example.
 * roles} finds the client {@code jobs.example}. A missing claim, a value that is not an array, and
 * members that are not strings give no roles; a single string counts as one role, as MP-JWT does
 * for {@code groups}.
 */
public final class ClaimPath {

  private final String text;
  private final List<String> segments;

  private ClaimPath(String text, List<String> segments) {
    this.text = text;
    this.segments = segments;
  }

  /**
   * @throws IllegalArgumentException naming what is wrong (an empty segment, white space)
   */
  public static ClaimPath parse(String path) {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("the claim path is empty");
    }
    String p = path.trim();
    if (p.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("'" + p + "' contains white space");
    }
    List<String> segments = List.of(p.split("\\.", -1));
    if (segments.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException(
          "'" + p + "' has an empty segment (a leading, trailing or doubled dot)");
    }
    return new ClaimPath(p, segments);
  }

  /** The strings at this path in the claims; empty when it is missing or of another type. */
  public List<String> strings(JsonObject claims) {
    JsonValue value = find(claims, 0);
    List<String> out = new ArrayList<>();
    if (value instanceof JsonString s) {
      out.add(s.getString());
    } else if (value instanceof JsonArray array) {
      for (JsonValue item : array) {
        if (item instanceof JsonString s) {
          out.add(s.getString());
        }
      }
    }
    return out;
  }

  private JsonValue find(JsonObject object, int from) {
    if (object == null) {
      return null;
    }
    // longest name first: "a.b" as one member wins over member "a" holding "b"
    for (int to = segments.size(); to > from; to--) {
      String name = String.join(".", segments.subList(from, to));
      JsonValue value = object.get(name);
      if (value == null) {
        continue;
      }
      if (to == segments.size()) {
        return value;
      }
      if (value instanceof JsonObject inner) {
        JsonValue found = find(inner, to);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return text;
  }
}
