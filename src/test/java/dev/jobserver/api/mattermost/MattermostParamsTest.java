package dev.jobserver.api.mattermost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.api.common.ApiException;
import jakarta.json.Json;
import jakarta.json.JsonValue;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class MattermostParamsTest {

  private static JsonValue number(String text) {
    return Json.createReader(new StringReader("{\"p\":" + text + "}")).readObject().get("p");
  }

  @Test
  void priorityIsTheNumberWrittenWithinOneMillion() {
    assertEquals(0, MattermostParams.priority(null));
    assertEquals(0, MattermostParams.priority(JsonValue.NULL));
    assertEquals(7, MattermostParams.priority(number("7")));
    assertEquals(1_000_000, MattermostParams.priority(number("1000000")));
    assertEquals(-1_000_000, MattermostParams.priority(number("-1000000")));
    assertEquals(0, MattermostParams.priority(number("-0")));
    // a long (or int) view of these wraps into the range: 2^64 + 1 reads as 1, -2^63 as 0
    for (String outside :
        new String[] {
          "18446744073709551617",
          "-9223372036854775808",
          "9223372036854775807",
          "4294967297",
          "1000001",
          "-1000001",
          "1.5",
          "1.0",
          "1e3",
          "1e999999999",
          "\"5\"",
          "true",
          "[1]"
        }) {
      ApiException e =
          assertThrows(
              ApiException.class,
              () -> MattermostParams.priority(number(outside)),
              outside + " is no priority");
      assertEquals(400, e.status(), outside);
      assertTrue(e.getMessage().contains("priority"), e.getMessage());
    }
  }

  @Test
  void paging() {
    assertEquals(0, MattermostParams.page(null));
    assertEquals(0, MattermostParams.page("x"));
    assertEquals(0, MattermostParams.page("-2"));
    assertEquals(3, MattermostParams.page("3"));
    assertEquals(60, MattermostParams.perPage(null));
    assertEquals(60, MattermostParams.perPage("1.5"));
    assertEquals(60, MattermostParams.perPage("-1"));
    assertEquals(0, MattermostParams.perPage("0"));
    assertEquals(200, MattermostParams.perPage("201"));
    assertEquals(200, MattermostParams.perPage("99999999999"));
    assertEquals(7, MattermostParams.perPage(" 7 "));
  }

  @Test
  void ranges() {
    assertNull(Downloads.range(null, 100));
    assertNull(Downloads.range("items=0-1", 100));
    assertNull(Downloads.range("bytes=0-1,5-6", 100));
    assertNull(Downloads.range("bytes=x-y", 100));
    assertArrayEquals(new long[] {0, 9}, Downloads.range("bytes=0-9", 100));
    assertArrayEquals(new long[] {10, 99}, Downloads.range("bytes=10-", 100));
    assertArrayEquals(new long[] {90, 99}, Downloads.range("bytes=-10", 100));
    assertArrayEquals(new long[] {0, 99}, Downloads.range("bytes=-1000", 100));
    assertArrayEquals(new long[] {95, 99}, Downloads.range("bytes=95-200", 100));
    assertArrayEquals(new long[] {-1, -1}, Downloads.range("bytes=100-", 100));
    assertArrayEquals(new long[] {-1, -1}, Downloads.range("bytes=5-2", 100));
    assertArrayEquals(new long[] {-1, -1}, Downloads.range("bytes=-0", 100));
  }
}
