package dev.jobserver.api.jobserver;

import dev.jobserver.api.common.ApiException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Times on the native API: written as ISO-8601 UTC with milliseconds ({@code
 * 2026-11-28T08:00:00.000Z}), read as ISO-8601 (with a zone or offset, or a date alone meaning its
 * midnight UTC) or as epoch milliseconds.
 */
final class NativeTimes {

  /** 9999-12-31T23:59:59.999Z: the last instant that ISO-8601 writes with four year digits. */
  static final long MAX_MILLIS = 253_402_300_799_999L;

  private static final DateTimeFormatter ISO =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private NativeTimes() {}

  /** The ISO form of epoch milliseconds. */
  static String iso(long millis) {
    return ISO.format(Instant.ofEpochMilli(millis));
  }

  /**
   * Epoch milliseconds of a time a client sent.
   *
   * @param name the parameter or field, named in the 400 if the value is not a time
   * @throws ApiException 400 naming the parameter
   */
  static long parse(String name, String value) {
    String v = value == null ? "" : value.trim();
    if (v.isEmpty()) {
      throw bad(name, value);
    }
    long millis;
    if (v.chars().allMatch(Character::isDigit)) {
      if (v.length() > 15) {
        throw bad(name, value);
      }
      millis = Long.parseLong(v);
    } else {
      try {
        millis =
            v.length() == 10
                ? LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli()
                : OffsetDateTime.parse(v, DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .toInstant()
                    .toEpochMilli();
      } catch (DateTimeException | ArithmeticException e) {
        throw bad(name, value);
      }
    }
    return inRange(name, value, millis);
  }

  /** Epoch milliseconds given as a JSON number: checked to be a time ISO-8601 can write. */
  static long inRange(String name, Object value, long millis) {
    if (millis < 0 || millis > MAX_MILLIS) {
      throw bad(name, value);
    }
    return millis;
  }

  static ApiException bad(String name, Object value) {
    return ApiException.nativeError(
        400,
        name
            + ": not a time: "
            + NativeParams.quote(value)
            + " (ISO-8601 such as 2026-11-28T08:00:00.000Z, or epoch milliseconds, from 1970 to"
            + " 9999)");
  }
}
