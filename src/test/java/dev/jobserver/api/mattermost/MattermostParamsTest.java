package dev.jobserver.api.mattermost;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class MattermostParamsTest {

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
