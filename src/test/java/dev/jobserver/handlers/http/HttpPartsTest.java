package dev.jobserver.handlers.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.engine.JobFailure;
import dev.jobserver.job.InvalidJobDataException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The http type's parts: signature, Retry-After, status mapping, data checks, redirects. */
class HttpPartsTest {

  private static final HttpAllowList ALLOW = HttpAllowList.parse("https://api.example.com/");

  @Test
  void theSignatureIsHmacSha256OfTimestampDotBody() {
    String header =
        HttpSignature.header(
            Arrays.asList("key-now", null, "key-before"),
            1700000000,
            "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    String[] parts = header.split(",");
    assertEquals("t=1700000000", parts[0]);
    assertEquals(3, parts.length);
    assertEquals(
        "v1=" + HttpSignature.hmacHex("key-now", 1700000000, "{\"a\":1}".getBytes()), parts[1]);
    assertEquals(
        "v1=" + HttpSignature.hmacHex("key-before", 1700000000, "{\"a\":1}".getBytes()), parts[2]);
    assertEquals(64, parts[1].length() - 3);
    assertNull(HttpSignature.header(Arrays.asList(null, " "), 1, new byte[0]));
  }

  @Test
  void theSignatureMatchesAKnownValue() {
    // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key-now
    assertEquals(
        "ded0839d076ddb140101c96abc9940f200ed9e694bfe0c5d4ffda602ce52bc02",
        HttpSignature.hmacHex("key-now", 1700000000, "{\"a\":1}".getBytes()));
  }

  @Test
  void retryAfterIsSecondsOrAnHttpDate() {
    Instant now = Instant.parse("2026-12-07T10:00:00Z");
    assertEquals(Duration.ofSeconds(120), RetryAfter.parse("120", now));
    assertEquals(Duration.ofSeconds(0), RetryAfter.parse(" 0 ", now));
    assertEquals(Duration.ofSeconds(90), RetryAfter.parse("Mon, 07 Dec 2026 10:01:30 GMT", now));
    assertEquals(Duration.ZERO, RetryAfter.parse("Mon, 07 Dec 2026 09:00:00 GMT", now));
    assertEquals(RetryAfter.MAX, RetryAfter.parse("999999", now));
    assertEquals(RetryAfter.MAX, RetryAfter.parse("Thu, 01 Jan 2099 00:00:00 GMT", now));
    assertNull(RetryAfter.parse(null, now));
    assertNull(RetryAfter.parse("soon", now));
    assertNull(RetryAfter.parse("-5", now));
    assertNull(RetryAfter.parse("1.5", now));
  }

  @Test
  void statusesMapToOutcomes() {
    assertEquals(HttpOutcome.SUCCESS, HttpOutcome.of(200));
    assertEquals(HttpOutcome.SUCCESS, HttpOutcome.of(204));
    assertEquals(HttpOutcome.RETRY, HttpOutcome.of(500));
    assertEquals(HttpOutcome.RETRY, HttpOutcome.of(503));
    assertEquals(HttpOutcome.RETRY, HttpOutcome.of(429));
    assertEquals(HttpOutcome.FAIL, HttpOutcome.of(400));
    assertEquals(HttpOutcome.FAIL, HttpOutcome.of(404));
    assertEquals(HttpOutcome.FAIL, HttpOutcome.of(408));
    assertEquals(HttpOutcome.FAIL, HttpOutcome.of(304));
    for (int s : new int[] {301, 302, 303, 307, 308}) {
      assertEquals(HttpOutcome.REDIRECT, HttpOutcome.of(s));
    }
    JobFailure retry =
        HttpOutcome.failure(503, "POST", "https://x/", "down for a while", Duration.ofSeconds(7));
    assertTrue(retry.retryable());
    assertEquals(Duration.ofSeconds(7), retry.retryAfter());
    assertEquals("HTTP 503 from POST https://x/: down for a while", retry.getMessage());
    JobFailure fail = HttpOutcome.failure(404, "GET", "https://x/", "", null);
    assertFalse(fail.retryable());
    assertEquals("HTTP 404 from GET https://x/", fail.getMessage());
  }

  @Test
  void anErrorShowsOnlyTheStartOfTheBody() {
    BoundedBody body = new BoundedBody("x".repeat(2000).getBytes(), false);
    assertEquals(503, body.start(500).length());
    assertEquals("abc", new BoundedBody("abc".getBytes(), false).start(500));
  }

  @Test
  void dataIsCheckedKeyByKey() {
    HttpCall call =
        HttpCall.of(
            Map.of(
                "url", "https://api.example.com/hook",
                "body", "{}",
                "header.X-Trace", "abc",
                "timeout_ms", "5000"),
            ALLOW);
    assertEquals("POST", call.method());
    assertEquals("application/json", call.contentType());
    assertEquals(Duration.ofSeconds(5), call.timeout());
    assertEquals("abc", call.headers().get("x-trace"));
    assertArrayEquals("{}".getBytes(), call.body());
    HttpCall get = HttpCall.of(Map.of("url", "https://api.example.com/", "method", "get"), ALLOW);
    assertEquals("GET", get.method());
    assertNull(get.contentType());
    assertEquals(Duration.ofSeconds(30), get.timeout());

    assertKey("url", Map.of());
    assertKey("url", Map.of("url", "https://other.example.com/"));
    assertKey("url", Map.of("url", "https://api.example.com.evil.net/"));
    assertKey("method", Map.of("url", "https://api.example.com/", "method", "TRACE"));
    assertKey("timeout_ms", Map.of("url", "https://api.example.com/", "timeout_ms", "0"));
    assertKey("timeout_ms", Map.of("url", "https://api.example.com/", "timeout_ms", "x"));
    assertKey(
        "header.Idempotency-Key",
        Map.of("url", "https://api.example.com/", "header.Idempotency-Key", "mine"));
    assertKey("header.Host", Map.of("url", "https://api.example.com/", "header.Host", "evil.net"));
    assertKey("header.A B", Map.of("url", "https://api.example.com/", "header.A B", "x"));
    assertKey("header.X", Map.of("url", "https://api.example.com/", "header.X", "a\r\nB: c"));
    assertKey("content_type", Map.of("url", "https://api.example.com/", "content_type", " "));
    InvalidJobDataException off =
        assertThrows(
            InvalidJobDataException.class,
            () -> HttpCall.of(Map.of("url", "https://api.example.com/"), HttpAllowList.parse("")));
    assertEquals("url", off.key());
    assertTrue(off.getMessage().contains("JOBSERVER_HTTP_ALLOW"), off.getMessage());
  }

  private static void assertKey(String key, Map<String, String> data) {
    InvalidJobDataException e =
        assertThrows(InvalidJobDataException.class, () -> HttpCall.of(data, ALLOW));
    assertEquals(key, e.key(), e.getMessage());
    assertTrue(e.getMessage().startsWith("data." + key + ": "), e.getMessage());
  }

  @Test
  void redirectsAreFollowedToTheSameOriginOnly() {
    String from = "https://api.example.com/a/b";
    assertEquals("https://api.example.com/a/c", HttpJobHandler.sameOrigin(from, "c"));
    assertEquals("https://api.example.com/x", HttpJobHandler.sameOrigin(from, "/x"));
    assertEquals(
        "https://api.example.com:443/x",
        HttpJobHandler.sameOrigin(from, "https://api.example.com:443/x"));
    assertNull(HttpJobHandler.sameOrigin(from, "https://evil.net/x"));
    assertNull(HttpJobHandler.sameOrigin(from, "http://api.example.com/x"));
    assertNull(HttpJobHandler.sameOrigin(from, "https://api.example.com:8443/x"));
    assertNull(HttpJobHandler.sameOrigin(from, "//evil.net/x"));
    assertNull(HttpJobHandler.sameOrigin(from, "https://u@api.example.com/x"));
    assertNull(HttpJobHandler.sameOrigin(from, "not a url"));
  }
}
