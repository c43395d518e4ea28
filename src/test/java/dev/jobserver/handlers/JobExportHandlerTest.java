package dev.jobserver.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JobExportHandlerTest {

  @Test
  void sinceIsEpochMillisOrAnInstant() {
    assertEquals(0, JobExportHandler.since(null));
    assertEquals(0, JobExportHandler.since(" "));
    assertEquals(1_700_000_000_000L, JobExportHandler.since("1700000000000"));
    assertEquals(86_400_000L, JobExportHandler.since("1970-01-02T00:00:00Z"));
  }

  @Test
  void aBadSinceNamesTheParameter() {
    // valid ISO-8601, but past what epoch milliseconds count: was a bare "long overflow"
    for (String bad :
        new String[] {
          "+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z", "yesterday", "x".repeat(5000)
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> JobExportHandler.since(bad), bad);
      assertTrue(e.getMessage().startsWith("data.since must be"), e.getMessage());
      assertTrue(e.getMessage().length() < 300, "the value is cut short in the message");
    }
  }

  @Test
  void aBadStatusNamesTheParameter() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> JobExportHandler.statuses("success,nope"));
    assertTrue(e.getMessage().startsWith("data.status"), e.getMessage());
  }
}
