package dev.jobserver.security;

import jakarta.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A caller's roles from a verified token: the {@code groups} claim (MP-JWT's) and, when {@code
 * JOBSERVER_ROLES_CLAIM} is set, the claim at that path, each name translated by {@code
 * JOBSERVER_ROLE_MAP}. What this returns is what the container knows the caller by: {@code
 * isUserInRole}, {@code @RolesAllowed}.
 */
public final class TokenRoles {

  private static final ClaimPath GROUPS = ClaimPath.parse("groups");

  private final ClaimPath rolesClaim;
  private final RoleMap roleMap;

  /**
   * @param rolesClaim the second roles claim, or null for {@code groups} alone
   */
  public TokenRoles(ClaimPath rolesClaim, RoleMap roleMap) {
    this.rolesClaim = rolesClaim;
    this.roleMap = roleMap;
  }

  public Set<String> of(JsonObject claims) {
    Set<String> names = new LinkedHashSet<>(GROUPS.strings(claims));
    if (rolesClaim != null) {
      names.addAll(rolesClaim.strings(claims));
    }
    return Set.copyOf(roleMap.translate(names));
  }

  public ClaimPath rolesClaim() {
    return rolesClaim;
  }

  public RoleMap roleMap() {
    return roleMap;
  }
}
