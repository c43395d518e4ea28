package dev.jobserver.handlers.http;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * A {@code Retry-After} header: delay-seconds or an HTTP date, as a wait from now, within 0 and
 * {@link #MAX}; null when the header is absent or says neither.
 */
final class RetryAfter {

  /** The longest wait honoured: a later retry is made after this. */
  static final Duration MAX = Duration.ofHours(1);

  private RetryAfter() {}

  static Duration parse(String value, Instant now) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    if (v.matches("[0-9]{1,12}")) {
      return cap(Duration.ofSeconds(Long.parseLong(v)));
    }
    try {
      Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration wait = Duration.between(now, at);
      return cap(wait.isNegative() ? Duration.ZERO : wait);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Duration cap(Duration d) {
    return d.compareTo(MAX) > 0 ? MAX : d;
  }
}
