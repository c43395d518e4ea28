package dev.jobserver.security;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Translates the IdP's names for roles or groups into Jobserver's roles: {@code
 * JOBSERVER_ROLE_MAP}, {@code idp-name=role[,idp-name=role...]}. A name with an entry becomes the
 * role(s) it maps to (one name may be listed several times to give several roles); a name without
 * one stays as it is, so tokens that already carry Jobserver's role names need no map. Names are
 * compared exactly; white space around names and roles is ignored, so a group called {@code Jobs
 * Admins} is written as it is.
 */
public final class RoleMap {

  public static final RoleMap NONE = new RoleMap(Map.of());

  private final Map<String, Set<String>> roles;

  private RoleMap(Map<String, Set<String>> roles) {
    this.roles = roles;
  }

  /**
   * @throws IllegalArgumentException naming the entry that is wrong: not {@code name=role}, an
   *     empty name, or a role that Jobserver does not have (a typo would otherwise grant nothing,
   *     silently)
   */
  public static RoleMap parse(String setting) {
    if (setting == null || setting.isBlank()) {
      return NONE;
    }
    Map<String, Set<String>> roles = new LinkedHashMap<>();
    for (String entry : setting.split(",", -1)) {
      String e = entry.trim();
      if (e.isEmpty()) {
        throw new IllegalArgumentException(
            "an entry is empty (a leading, trailing or doubled comma)");
      }
      int eq = e.indexOf('=');
      if (eq < 0 || e.indexOf('=', eq + 1) >= 0) {
        throw new IllegalArgumentException("'" + e + "' is not of the form idp-name=role");
      }
      String name = e.substring(0, eq).trim();
      String role = e.substring(eq + 1).trim();
      if (name.isEmpty()) {
        throw new IllegalArgumentException("'" + e + "' has no IdP name before '='");
      }
      if (!Arrays.asList(Roles.ALL).contains(role)) {
        throw new IllegalArgumentException(
            "'"
                + e
                + "' maps to '"
                + role
                + "', which is not a Jobserver role (one of "
                + String.join(", ", Roles.ALL)
                + ")");
      }
      roles.computeIfAbsent(name, n -> new LinkedHashSet<>()).add(role);
    }
    roles.replaceAll((name, set) -> Set.copyOf(set));
    return new RoleMap(Map.copyOf(roles));
  }

  /** The names, each translated when it has an entry. */
  public Set<String> translate(Collection<String> names) {
    Set<String> out = new LinkedHashSet<>();
    for (String name : names) {
      Set<String> mapped = roles.get(name);
      if (mapped == null) {
        out.add(name);
      } else {
        out.addAll(mapped);
      }
    }
    return out;
  }

  public int size() {
    return roles.size();
  }
}
