package dev.jobserver.handlers;

import java.util.Map;

/** Reads typed values from a job's string data, with messages that say what was wrong. */
final class Params {
  private Params() {}

  static long longValue(Map<String, String> data, String key, long fallback, long min, long max) {
    String value = data.get(key);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      long n = Long.parseLong(value.trim());
      if (n < min || n > max) {
        throw new IllegalArgumentException(
            "data." + key + " must be between " + min + " and " + max + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "data." + key + " must be a whole number, got '" + value + "'");
    }
  }
}
