package dev.jobserver.api.jobserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.api.common.ApiException;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobStatus;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Parsing of the native API's parameters and create body: values, bounds, and 400s that name. */
class NativeParamsTest {

  private static void assertBad(String named, Executable parse) {
    ApiException e = assertThrows(ApiException.class, parse);
    assertEquals(400, e.status());
    assertTrue(e.getMessage().startsWith(named + ":"), e.getMessage());
  }

  private static JsonObject json(String text) {
    return Json.createReader(new StringReader(text)).readObject();
  }

  // ---- times ---------------------------------------------------------------------------------

  @Test
  void timesAreWrittenIsoUtcWithMilliseconds() {
    assertEquals("2026-11-28T08:00:00.000Z", NativeTimes.iso(1795852800000L));
    assertEquals("1970-01-01T00:00:00.001Z", NativeTimes.iso(1));
    assertEquals("9999-12-31T23:59:59.999Z", NativeTimes.iso(NativeTimes.MAX_MILLIS));
  }

  @Test
  void timesAreReadAsIsoOrEpochMilliseconds() {
    assertEquals(1795852800000L, NativeTimes.parse("t", "2026-11-28T08:00:00.000Z"));
    assertEquals(1795852800000L, NativeTimes.parse("t", "2026-11-28T08:00:00Z"));
    assertEquals(1795852800000L, NativeTimes.parse("t", "2026-11-28T09:00:00+01:00"));
    assertEquals(1795852800123L, NativeTimes.parse("t", "2026-11-28T08:00:00.123456Z"));
    assertEquals(1795824000000L, NativeTimes.parse("t", "2026-11-28"));
    assertEquals(1795852800000L, NativeTimes.parse("t", "1795852800000"));
    assertEquals(0L, NativeTimes.parse("t", "0"));
  }

  @Test
  void aTimeThatIsNoneOrOutOfRangeIsA400NamingIt() {
    for (String bad :
        List.of(
            "",
            "yesterday",
            "2026-11-28T08:00:00", // no zone: which one?
            "2026-13-01",
            "2026-11-28T25:00:00Z",
            "-5",
            "1.5",
            "253402300800000", // year 10000
            "99999999999999999999",
            "10000-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z")) {
      assertBad("created_after", () -> NativeTimes.parse("created_after", bad));
    }
    assertNull(NativeParams.time("created_after", null));
    assertNull(NativeParams.time("created_after", " "));
  }

  // ---- limit, types, statuses, q ----------------------------------------------------------

  @Test
  void limitIsOneToFiveHundredDefaultFifty() {
    assertEquals(50, NativeParams.limit(null));
    assertEquals(50, NativeParams.limit(""));
    assertEquals(1, NativeParams.limit("1"));
    assertEquals(500, NativeParams.limit("500"));
    assertEquals(7, NativeParams.limit(" 7 "));
    for (String bad : List.of("0", "501", "-1", "ten", "1.0", "99999999999999999999", "1e2")) {
      assertBad("limit", () -> NativeParams.limit(bad));
    }
  }

  @Test
  void typesRepeatOrListWithCommasAndMustBeTypeNames() {
    assertEquals(Set.of(), NativeParams.types(null));
    assertEquals(
        List.of("noop", "sleep", "job_export"),
        List.copyOf(NativeParams.types(List.of("noop,sleep", "job_export", "noop"))));
    assertBad("type", () -> NativeParams.types(List.of("Noop")));
    assertBad("type", () -> NativeParams.types(List.of("x".repeat(33))));
    assertBad("type", () -> NativeParams.types(List.of("a\u0000b")));
  }

  @Test
  void statusesAreTheInternalNamesInAnyCase() {
    assertEquals(
        Set.of(JobStatus.FAILED, JobStatus.CANCEL_REQUESTED, JobStatus.PENDING),
        NativeParams.statuses(List.of("failed", "cancel_requested,PENDING")));
    assertBad("status", () -> NativeParams.statuses(List.of("in_progress"))); // v4's name
    assertBad("status", () -> NativeParams.statuses(List.of("done")));
    assertEquals("cancel_requested", NativeParams.name(JobStatus.CANCEL_REQUESTED));
  }

  @Test
  void anIdPrefixIsAtMostAnIdLong() {
    assertNull(NativeParams.idPrefix(null));
    assertNull(NativeParams.idPrefix(""));
    assertEquals("JOB_", NativeParams.idPrefix("JOB_"));
    assertBad("q", () -> NativeParams.idPrefix("x".repeat(81)));
  }

  // ---- cursor --------------------------------------------------------------------------------

  @Test
  void aCursorIsTheKeysetPositionRoundTripped() {
    JobQuery.Position p = new JobQuery.Position(1795852800000L, "JOB_noop_0b1c-aa");
    String cursor = Cursor.encode(p);
    assertTrue(cursor.matches("[A-Za-z0-9_-]+"), cursor);
    assertEquals(p, Cursor.decode(cursor));
  }

  @Test
  void aCursorThisApiDidNotWriteIsA400NamingCursor() {
    String goodId = Cursor.encode(new JobQuery.Position(5, "abc"));
    for (String bad :
        List.of(
            "!!!",
            "abc", // decodes, but is no cursor
            goodId + "x",
            b64("2:5:abc"),
            b64("1:-5:abc"),
            b64("1::abc"),
            b64("1:5:"),
            b64("1:5:a b"),
            b64("1:5:a\u0000b"),
            b64("1:99999999999999999999:abc"),
            b64("1:5:" + "x".repeat(81)),
            "x".repeat(201))) {
      assertBad("cursor", () -> Cursor.decode(bad));
    }
  }

  private static String b64(String s) {
    return java.util.Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  // ---- create body ---------------------------------------------------------------------------

  @Test
  void aCreateBodyIsReadWithDefaults() {
    CreateRequest r = CreateRequest.of(json("{\"type\":\"noop\"}"));
    assertEquals(new CreateRequest("noop", Map.of(), 0, null, null, List.of()), r);
    r =
        CreateRequest.of(
            json(
                "{\"type\":\"sleep\",\"data\":{\"a\":\"1\"},\"priority\":-1000000,"
                    + "\"run_at\":\"2026-11-28T08:00:00.000Z\",\"max_attempts\":100,\"x\":1}"));
    assertEquals(
        new CreateRequest("sleep", Map.of("a", "1"), -1_000_000, 1795852800000L, 100, List.of()),
        r);
    assertEquals(
        1795852800000L,
        CreateRequest.of(json("{\"type\":\"noop\",\"run_at\":1795852800000}")).runAt());
    assertEquals(7, CreateRequest.of(json("{\"type\":\"noop\",\"priority\":7.0}")).priority());
    assertEquals(
        null, CreateRequest.of(json("{\"type\":\"noop\",\"max_attempts\":null}")).maxAttempts());
  }

  @Test
  void aBadFieldIsA400NamingIt() {
    assertBad("type", () -> CreateRequest.of(json("{}")));
    assertBad("type", () -> CreateRequest.of(json("{\"type\":5}")));
    assertBad("data", () -> CreateRequest.of(json("{\"type\":\"noop\",\"data\":[]}")));
    assertBad("data.n", () -> CreateRequest.of(json("{\"type\":\"noop\",\"data\":{\"n\":1}}")));
    for (String priority :
        List.of(
            "1000001",
            "-1000001",
            "1.5",
            "\"1\"",
            "true",
            // more digits than a long: must not wrap into range
            "18446744073709551617",
            "-18446744073709551616",
            "1e400")) {
      assertBad(
          "priority",
          () -> CreateRequest.of(json("{\"type\":\"noop\",\"priority\":" + priority + "}")));
    }
    for (String attempts : List.of("0", "101", "2.5", "\"3\"", "18446744073709551617")) {
      assertBad(
          "max_attempts",
          () -> CreateRequest.of(json("{\"type\":\"noop\",\"max_attempts\":" + attempts + "}")));
    }
    for (String runAt : List.of("\"soon\"", "-1", "1.5", "true", "{}", "253402300800000")) {
      assertBad(
          "run_at", () -> CreateRequest.of(json("{\"type\":\"noop\",\"run_at\":" + runAt + "}")));
    }
  }

  @Test
  void dependenciesAreUpToAHundredJobIdsWithoutRepeats() {
    assertEquals(List.of(), CreateRequest.of(json("{\"type\":\"noop\"}")).dependsOn());
    assertEquals(
        List.of(), CreateRequest.of(json("{\"type\":\"noop\",\"depends_on\":null}")).dependsOn());
    String a = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
    String b = "JOB_noop_0d6f1e8e-6d5a-4a1f-9f5e-0a5b8a0b6b1c";
    assertEquals(
        List.of(a, b),
        CreateRequest.of(
                json(
                    "{\"type\":\"noop\",\"depends_on\":[\""
                        + a
                        + "\",\""
                        + b
                        + "\",\""
                        + a
                        + "\"]}"))
            .dependsOn());
    for (String bad : List.of("5", "\"abc\"", "[\"abc\"]", "[1]", "{}")) {
      assertBad(
          "depends_on",
          () -> CreateRequest.of(json("{\"type\":\"noop\",\"depends_on\":" + bad + "}")));
    }
    StringBuilder many = new StringBuilder("[");
    for (int i = 0; i < 101; i++) {
      many.append(i == 0 ? "" : ",").append('"').append(String.format("%026d", i)).append('"');
    }
    assertBad(
        "depends_on",
        () -> CreateRequest.of(json("{\"type\":\"noop\",\"depends_on\":" + many + "]}")));
  }
}
