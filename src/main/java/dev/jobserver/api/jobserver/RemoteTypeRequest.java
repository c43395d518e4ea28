package dev.jobserver.api.jobserver;

import dev.jobserver.store.RemoteTypeStore;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.time.Duration;
import java.time.format.DateTimeParseException;

/** The body of {@code PUT /types/{name}}, checked field by field (400 naming the field). */
final class RemoteTypeRequest {

  static final Duration MIN_TIMEOUT = Duration.ofSeconds(1);
  static final Duration MAX_TIMEOUT = Duration.ofDays(7);
  static final Duration MAX_BACKOFF = Duration.ofDays(1);
  static final int MAX_ATTEMPTS = 100;
  static final int MAX_CONCURRENT = 100_000;

  private RemoteTypeRequest() {}

  static RemoteTypeStore.Row of(String name, JsonObject body) {
    JsonValue remote = body.get("remote");
    if (remote != JsonValue.TRUE) {
      throw NativeParams.bad(
          "remote: must be true (only remote types are declared; the others are the WAR's)");
    }
    Duration timeout = duration(body, "timeout", Duration.ofHours(1), MIN_TIMEOUT, MAX_TIMEOUT);
    Duration backoff = duration(body, "backoff", Duration.ofSeconds(1), Duration.ZERO, MAX_BACKOFF);
    int maxAttempts = integer(body, "max_attempts", 1, 1, MAX_ATTEMPTS);
    int maxConcurrent = integer(body, "max_concurrent", 0, 0, MAX_CONCURRENT);
    return new RemoteTypeStore.Row(
        name, timeout.toMillis(), maxAttempts, backoff.toMillis(), maxConcurrent);
  }

  private static Duration duration(
      JsonObject body, String field, Duration fallback, Duration min, Duration max) {
    JsonValue v = body.get(field);
    if (v == null || v == JsonValue.NULL) {
      return fallback;
    }
    String range = " from " + min + " to " + max;
    if (!(v instanceof JsonString s)) {
      throw NativeParams.bad(field + ": must be an ISO-8601 duration (e.g. PT10S)" + range);
    }
    Duration d;
    try {
      d = Duration.parse(s.getString());
    } catch (DateTimeParseException e) {
      throw NativeParams.bad(
          field + ": " + NativeParams.quote(s.getString()) + " is no ISO-8601 duration (PT10S)");
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw NativeParams.bad(field + ": must be" + range + ", not " + d);
    }
    return d;
  }

  static int integer(JsonObject body, String field, int fallback, int min, int max) {
    JsonValue v = body.get(field);
    if (v == null || v == JsonValue.NULL) {
      return fallback;
    }
    if (!(v instanceof JsonNumber n) || !n.isIntegral()) {
      throw NativeParams.bad(field + ": must be an integer from " + min + " to " + max);
    }
    java.math.BigDecimal value = n.bigDecimalValue();
    if (value.compareTo(java.math.BigDecimal.valueOf(min)) < 0
        || value.compareTo(java.math.BigDecimal.valueOf(max)) > 0) {
      throw NativeParams.bad(
          field + ": must be from " + min + " to " + max + ", not " + NativeParams.quote(value));
    }
    return value.intValueExact();
  }
}
