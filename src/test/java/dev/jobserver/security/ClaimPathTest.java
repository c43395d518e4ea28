package dev.jobserver.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClaimPathTest {

  static final JsonObject KEYCLOAK =
      Claims.of(
          "{'sub':'u1','realm_access':{'roles':['offline_access','manage_jobs']},"
              + "'resource_access':{'jobserver':{'roles':['TAIPY_ADMIN']},"
              + "'jobs.example':{'roles':['read_jobs']},'account':{'roles':['view-profile']}}}");

  static List<String> at(String path, JsonObject claims) {
    return ClaimPath.parse(path).strings(claims);
  }

  @Test
  void aNestedPathFindsTheArrayOfStrings() {
    assertEquals(List.of("offline_access", "manage_jobs"), at("realm_access.roles", KEYCLOAK));
    assertEquals(List.of("TAIPY_ADMIN"), at("resource_access.jobserver.roles", KEYCLOAK));
    assertEquals(List.of("a", "b"), at("roles", Claims.of("{'roles':['a','b']}")));
    assertEquals(List.of("x"), at("a.b.c.d", Claims.of("{'a':{'b':{'c':{'d':['x']}}}}")));
  }

  @Test
  void claimNamesWithDotsAreMatchedWhole() {
    assertEquals(List.of("read_jobs"), at("resource_access.jobs.example.roles", KEYCLOAK));
    JsonObject auth0 = Claims.of("{'https://jobs.example.com/roles':['manage_jobs']}");
    assertEquals(List.of("manage_jobs"), at("https://jobs.example.com/roles", auth0));
    // the longest name first, but a shorter one still counts where the longer leads nowhere
    JsonObject both = Claims.of("{'a.b':{'x':['long']},'a':{'b':{'c':['short']}}}");
    assertEquals(List.of("long"), at("a.b.x", both));
    assertEquals(List.of("short"), at("a.b.c", both));
  }

  @Test
  void aMissingClaimGivesNoRoles() {
    assertTrue(at("realm_access.roles", Claims.of("{'sub':'u1'}")).isEmpty());
    assertTrue(at("resource_access.other.roles", KEYCLOAK).isEmpty(), "a client not there");
    assertTrue(at("realm_access.roles.more", KEYCLOAK).isEmpty(), "past the end of the array");
    assertTrue(at("realm_access", Claims.of("{'realm_access':null}")).isEmpty());
  }

  @Test
  void aValueOfAnotherTypeGivesNoRolesAndNonStringsAreSkipped() {
    assertTrue(at("realm_access", KEYCLOAK).isEmpty(), "an object is not roles");
    assertTrue(at("roles", Claims.of("{'roles':42}")).isEmpty());
    assertTrue(at("roles", Claims.of("{'roles':true}")).isEmpty());
    assertTrue(at("a.b", Claims.of("{'a':['b']}")).isEmpty(), "an array on the way");
    assertTrue(at("a.b", Claims.of("{'a':'b'}")).isEmpty(), "a string on the way");
    assertEquals(
        List.of("a", "b"), at("roles", Claims.of("{'roles':['a',1,null,{'x':'y'},['z'],'b']}")));
    assertEquals(List.of("solo"), at("roles", Claims.of("{'roles':'solo'}")), "as MP-JWT groups");
  }

  @Test
  void aMalformedPathIsRefusedWithWhatIsWrong() {
    for (String bad : new String[] {"a..b", ".a", "a.", "."}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ClaimPath.parse(bad), bad);
      assertTrue(e.getMessage().contains("empty segment"), e.getMessage());
    }
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> ClaimPath.parse("realm access.roles"))
            .getMessage()
            .contains("white space"));
    assertThrows(IllegalArgumentException.class, () -> ClaimPath.parse(" "));
    assertEquals("realm_access.roles", ClaimPath.parse(" realm_access.roles ").toString());
  }
}
