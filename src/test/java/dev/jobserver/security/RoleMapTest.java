package dev.jobserver.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoleMapTest {

  static String refused(String setting) {
    return assertThrows(IllegalArgumentException.class, () -> RoleMap.parse(setting), setting)
        .getMessage();
  }

  @Test
  void mappedNamesBecomeTheirRolesAndOthersStay() {
    RoleMap map = RoleMap.parse("jobs-admin=manage_jobs, Jobs Readers = read_jobs");
    assertEquals(2, map.size());
    assertEquals(
        Set.of("manage_jobs", "read_jobs", "offline_access", "TAIPY_ADMIN"),
        map.translate(List.of("jobs-admin", "Jobs Readers", "offline_access", "TAIPY_ADMIN")));
    assertEquals(
        Set.of("manage_jobs"), map.translate(List.of("jobs-admin")), "the IdP name is replaced");
    assertTrue(map.translate(List.of()).isEmpty());
  }

  @Test
  void oneNameMayGiveSeveralRolesAndNamesAreExact() {
    RoleMap map = RoleMap.parse("ops=manage_jobs,ops=TAIPY_ADMIN,ops=manage_jobs");
    assertEquals(Set.of("manage_jobs", "TAIPY_ADMIN"), map.translate(List.of("ops")));
    assertEquals(Set.of("OPS", "ops "), map.translate(List.of("OPS", "ops ")));
  }

  @Test
  void noSettingMapsNothing() {
    assertSame(RoleMap.NONE, RoleMap.parse(null));
    assertSame(RoleMap.NONE, RoleMap.parse("  "));
    assertEquals(Set.of("x"), RoleMap.NONE.translate(List.of("x")));
  }

  @Test
  void aMalformedMapIsRefusedNamingTheEntry() {
    assertTrue(refused("admin").contains("'admin' is not of the form idp-name=role"));
    assertTrue(refused("a=b=manage_jobs").contains("'a=b=manage_jobs' is not of the form"));
    assertTrue(refused("=manage_jobs").contains("no IdP name"));
    assertTrue(refused("admin=manage_job").contains("'manage_job', which is not a Jobserver role"));
    assertTrue(refused("admin=").contains("'', which is not a Jobserver role"));
    assertTrue(refused("admin=manage_jobs,").contains("an entry is empty"));
    assertTrue(refused("a=manage_jobs,,b=read_jobs").contains("an entry is empty"));
    assertTrue(refused(",a=manage_jobs").contains("an entry is empty"));
  }
}
