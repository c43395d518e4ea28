package dev.jobserver.api.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
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
  void onlyJsonObjectsAreObjects() {
    assertTrue(Bodies.jsonObject("{\"a\":1}").isPresent());
    assertTrue(Bodies.jsonObject("[1]").isEmpty());
    assertTrue(Bodies.jsonObject("\"s\"").isEmpty());
    assertTrue(Bodies.jsonObject("{").isEmpty());
    assertTrue(Bodies.jsonObject("").isEmpty());
    assertTrue(Bodies.jsonObject(null).isEmpty());
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
