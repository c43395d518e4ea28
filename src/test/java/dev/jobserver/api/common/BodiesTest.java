package dev.jobserver.api.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.Json;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BodiesTest {

  @Test
  void readsUpToOneMebibyte() throws Exception {
    byte[] exactly = new byte[Bodies.MAX_BYTES];
    assertEquals(Bodies.MAX_BYTES, Bodies.read(new ByteArrayInputStream(exactly)).length());
    byte[] over = new byte[Bodies.MAX_BYTES + 1];
    assertThrows(
        Bodies.BodyTooLargeException.class, () -> Bodies.read(new ByteArrayInputStream(over)));
  }

  @Test
  void dataIsKeptExactlyOrRefusedNamingTheField() {
    String kept = "\uD83D\uDE00 \u0000 \u202E \r\n \"q\" \uFFFF";
    assertEquals(
        Map.of("a", kept, "", "empty key", "\uD800\uDC00", "astral key"),
        Bodies.stringMap(
            Json.createObjectBuilder()
                .add("a", kept)
                .add("", "empty key")
                .add("\uD800\uDC00", "astral key")
                .build(),
            (field, problem) -> new IllegalStateException(field + " " + problem)));
    assertEquals(
        "data.a has a lone UTF-16 surrogate (\\ud800-\\udfff)", refusal("{\"a\":\"x\\ud800y\"}"));
    assertEquals(
        "data.a has a lone UTF-16 surrogate (\\ud800-\\udfff)", refusal("{\"a\":\"\\udc00\"}"));
    assertEquals(
        "data has a key with a lone UTF-16 surrogate (\\ud800-\\udfff)",
        refusal("{\"\\ud83d\":\"v\"}"));
    assertEquals("data.n must be a string", refusal("{\"n\":1}"));
    assertEquals("data.o must be a string", refusal("{\"o\":{}}"));
  }

  private static String refusal(String data) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Bodies.stringMap(
                    Bodies.jsonObject(data).orElseThrow(),
                    (field, problem) -> new IllegalArgumentException(field + " " + problem)));
    return e.getMessage();
  }

  @Test
  void onlyJsonObjectsAreObjects() {
    assertTrue(Bodies.jsonObject("{\"a\":1}").isPresent());
    assertTrue(Bodies.jsonObject("[1]").isEmpty());
    assertTrue(Bodies.jsonObject("\"s\"").isEmpty());
    assertTrue(Bodies.jsonObject("{").isEmpty());
    assertTrue(Bodies.jsonObject("").isEmpty());
    assertTrue(Bodies.jsonObject(null).isEmpty());
  }

  @Test
  void inputPastTheParsersLimitsIsABadBodyNotAServerError() {
    String deep = "{\"a\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}";
    Bodies.BadBodyException nested =
        assertThrows(Bodies.BadBodyException.class, () -> Bodies.object(deep));
    assertTrue(
        nested.getMessage().startsWith("the body is not well-formed JSON"), nested.getMessage());
    String deepObjects = "{\"a\":" + "{\"b\":".repeat(10_000) + "1" + "}".repeat(10_001);
    assertThrows(Bodies.BadBodyException.class, () -> Bodies.object(deepObjects));
    assertTrue(Bodies.jsonObject(deep).isEmpty());
    String longNumber = "{\"priority\":1" + "0".repeat(5000) + "}";
    assertThrows(Bodies.BadBodyException.class, () -> Bodies.object(longNumber));
  }

  @Test
  void bodiesThatAreNotUtf8AreRefusedNotRepaired() throws Exception {
    byte[] latin1 = "{\"data\":{\"a\":\"caf\u00e9\"}}".getBytes(StandardCharsets.ISO_8859_1);
    Bodies.BadBodyException e =
        assertThrows(
            Bodies.BadBodyException.class, () -> Bodies.read(new ByteArrayInputStream(latin1)));
    assertEquals("the body is not valid UTF-8", e.getMessage());
    // a surrogate encoded on its own in UTF-8 (CESU-8) is not UTF-8 either
    byte[] cesu = {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'};
    assertThrows(Bodies.BadBodyException.class, () -> Bodies.read(new ByteArrayInputStream(cesu)));
    String text = "{\"a\":\"caf\u00e9 \uD83D\uDE00\"}";
    assertEquals(
        text, Bodies.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void loneSurrogatesAreNotWellFormed() {
    assertTrue(Bodies.isWellFormed(""));
    assertTrue(Bodies.isWellFormed("plain \u0000 \r\n \u202e \uD83D\uDE00"));
    assertFalse(Bodies.isWellFormed("\uD800"));
    assertFalse(Bodies.isWellFormed("a\uD800b"));
    assertFalse(Bodies.isWellFormed("\uDC00"));
    assertFalse(Bodies.isWellFormed("\uDE00\uD83D"));
    assertFalse(Bodies.isWellFormed("ok \uD83D\uDE00 \uD83D"));
    // JSON's escapes carry them into a parsed string
    String parsed = Bodies.object("{\"a\":\"\\ud800\"}").getString("a");
    assertFalse(Bodies.isWellFormed(parsed));
  }

  @Test
  void errorBodiesInEachFormat() {
    String v4 = ErrorBodies.forStatus(ApiFlavor.MATTERMOST, 403, "r1", null);
    assertTrue(v4.contains("\"id\":\"api.context.permissions.app_error\""), v4);
    assertTrue(v4.contains("\"request_id\":\"r1\""), v4);
    assertTrue(v4.contains("\"status_code\":403"), v4);
    assertEquals(
        "{\"message\":\"Invalid or expired session, please login again.\"}",
        ErrorBodies.forStatus(ApiFlavor.TAIPY, 401, "r", null));
    assertEquals(ApiFlavor.TAIPY, ApiFlavor.of("/api/v1/jobs/"));
    assertEquals(ApiFlavor.MATTERMOST, ApiFlavor.of("/api/v4/jobs"));
  }
}
