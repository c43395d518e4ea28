package dev.jobserver.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class TokenRolesTest {

  @Test
  void rolesAreGroupsAndTheRolesClaimThroughTheMap() {
    TokenRoles roles =
        new TokenRoles(
            ClaimPath.parse("realm_access.roles"), RoleMap.parse("jobs-admin=manage_jobs"));
    assertEquals(
        Set.of("read_jobs", "manage_jobs", "offline_access"),
        roles.of(
            Claims.of(
                "{'groups':['read_jobs'],"
                    + "'realm_access':{'roles':['jobs-admin','offline_access']}}")));
    assertEquals(
        Set.of("manage_jobs"),
        roles.of(Claims.of("{'groups':['jobs-admin']}")),
        "the map applies to groups too");
    assertTrue(roles.of(Claims.of("{'sub':'x'}")).isEmpty());
  }

  @Test
  void withoutSettingsOnlyGroupsCount() {
    TokenRoles roles = new TokenRoles(null, RoleMap.NONE);
    assertEquals(
        Set.of("manage_jobs"),
        roles.of(Claims.of("{'groups':['manage_jobs'],'realm_access':{'roles':['TAIPY_ADMIN']}}")));
    assertEquals(Set.of("read_jobs"), roles.of(Claims.of("{'groups':'read_jobs'}")));
    assertTrue(roles.of(Claims.of("{'groups':{'a':'b'}}")).isEmpty());
  }
}
