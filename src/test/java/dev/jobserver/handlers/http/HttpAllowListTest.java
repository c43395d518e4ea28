package dev.jobserver.handlers.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class HttpAllowListTest {

  private static String refusal(HttpAllowList allow, String url) {
    return assertThrows(IllegalArgumentException.class, () -> allow.check(url)).getMessage();
  }

  @Test
  void anEmptySettingAllowsNothing() {
    HttpAllowList allow = HttpAllowList.parse(" , ");
    assertTrue(allow.isEmpty());
    assertTrue(refusal(allow, "https://api.example.com/").contains("matches no prefix"));
    assertTrue(HttpAllowList.parse(null).isEmpty());
  }

  @Test
  void aPrefixMatchesOnlyAtABoundary() {
    HttpAllowList allow =
        HttpAllowList.parse("https://api.example.com, https://hooks.example.org/in/");
    assertEquals("https://api.example.com", allow.check("https://api.example.com"));
    assertEquals("https://api.example.com", allow.check("https://API.example.com:443/x?y=1"));
    assertEquals("https://hooks.example.org/in/", allow.check("https://hooks.example.org/in/a"));
    refusal(allow, "https://api.example.com.evil.net/");
    refusal(allow, "https://api.example.com:8443/");
    refusal(allow, "http://api.example.com/"); // another scheme
    refusal(allow, "https://hooks.example.org/in"); // the prefix's path is longer
    refusal(allow, "https://hooks.example.org/inside");
    refusal(allow, "https://hooks.example.org/in/../admin");
  }

  @Test
  void aPathPrefixWithoutSlashEndsAtASegment() {
    HttpAllowList allow = HttpAllowList.parse("https://api.example.com/hooks");
    allow.check("https://api.example.com/hooks");
    allow.check("https://api.example.com/hooks/a");
    allow.check("https://api.example.com/hooks?x=1");
    refusal(allow, "https://api.example.com/hooks-admin");
  }

  @Test
  void trickyUrlsAreRefused() {
    HttpAllowList allow = HttpAllowList.parse("https://api.example.com/");
    assertTrue(refusal(allow, "https://api.example.com@evil.net/").contains("user information"));
    assertTrue(refusal(allow, "https://user:pw@api.example.com/").contains("user information"));
    assertTrue(refusal(allow, "https://api.example.com/%2e%2e/x").contains("percent-encode"));
    assertTrue(refusal(allow, "ftp://api.example.com/").contains("http"));
    assertTrue(refusal(allow, "/relative").contains("http"));
    assertTrue(refusal(allow, "https://api.example.com/a b").contains("not a URL"));
    assertTrue(refusal(allow, "https://api.example.com/#x").contains("fragment"));
    assertTrue(refusal(allow, "https://api.example.com/../x").contains("'..'"));
    assertTrue(refusal(allow, "https://api.example.com\\@evil.net/").contains("not a URL"));
  }

  @Test
  void specialHostNamesAndLiterals() {
    assertTrue(HttpAllowList.isSpecialName("169.254.169.254"));
    assertTrue(HttpAllowList.isSpecialName("[fd00:ec2::254]"));
    assertTrue(HttpAllowList.isSpecialName("metadata.google.internal"));
    assertTrue(HttpAllowList.isSpecialName("LOCALHOST"));
    assertTrue(HttpAllowList.isSpecialName("app.localhost"));
    assertTrue(HttpAllowList.isSpecialName("127.0.0.2"));
    assertTrue(HttpAllowList.isSpecialName("[::1]"));
    assertTrue(HttpAllowList.isSpecialName("0.0.0.0"));
    assertTrue(HttpAllowList.isSpecialName("[::ffff:127.0.0.1]"));
    assertFalse(HttpAllowList.isSpecialName("10.0.0.5"));
    assertFalse(HttpAllowList.isSpecialName("api.example.com"));
  }

  @Test
  void aPrefixNamingALoopbackAddressAllowsIt() throws Exception {
    HttpAllowList allow = HttpAllowList.parse("http://127.0.0.1:19300/, http://localhost:8080/");
    InetAddress[] resolved = allow.resolve("http://127.0.0.1:19300/hook");
    assertTrue(resolved[0].isLoopbackAddress());
    allow.resolve("http://localhost:8080/x", host -> new InetAddress[] {loopback()});
    refusal(allow, "http://127.0.0.1:19301/hook");
  }

  @Test
  void aNameThatResolvesToASpecialAddressIsRefusedAtCallTime() throws Exception {
    HttpAllowList allow = HttpAllowList.parse("https://hooks.example.com/");
    InetAddress metadata = InetAddress.getByName("169.254.169.254");
    InetAddress publicOne = InetAddress.getByName("93.184.216.34");
    assertEquals(
        publicOne,
        allow.resolve("https://hooks.example.com/a", host -> new InetAddress[] {publicOne})[0]);
    // the same name, rebound: one bad address among good ones is enough to refuse
    String message =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    allow.resolve(
                        "https://hooks.example.com/a",
                        host -> new InetAddress[] {publicOne, metadata}))
            .getMessage();
    assertTrue(message.contains("resolves to 169.254.169.254"), message);
    assertThrows(
        IllegalArgumentException.class,
        () -> allow.resolve("https://hooks.example.com/a", host -> new InetAddress[] {loopback()}));
  }

  private static InetAddress loopback() {
    return InetAddress.getLoopbackAddress();
  }

  @Test
  void specialAddressesAreRefusedEvenWhenResolved() throws Exception {
    assertTrue(HttpAllowList.isSpecial(InetAddress.getByName("169.254.169.254")));
    assertTrue(HttpAllowList.isSpecial(InetAddress.getByName("fd00:ec2::254")));
    assertTrue(HttpAllowList.isSpecial(InetAddress.getByName("fe80::1")));
    assertTrue(HttpAllowList.isSpecial(InetAddress.getByName("127.0.0.1")));
    assertTrue(HttpAllowList.isSpecial(InetAddress.getByName("::")));
    assertTrue(
        HttpAllowList.isSpecial(
            InetAddress.getByAddress(
                new byte[] {
                  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1
                })));
    assertFalse(HttpAllowList.isSpecial(InetAddress.getByName("93.184.216.34")));
    assertFalse(HttpAllowList.isSpecial(InetAddress.getByName("10.1.2.3")));
  }

  @Test
  void aMalformedPrefixIsNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HttpAllowList.parse("api.example.com"));
    assertTrue(e.getMessage().contains("'api.example.com'"), e.getMessage());
  }
}
