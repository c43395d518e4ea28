package dev.jobserver.common;

import java.util.OptionalLong;

/**
 * The one parser of whole numbers from text (settings, query parameters, job data), with messages
 * that name the value and say what was wrong.
 */
public final class WholeNumbers {

  private WholeNumbers() {}

  /**
   * The value as a number from {@code min} to {@code max}; {@code fallback} when it is absent or
   * blank.
   *
   * @param name how the value is called in the message (a variable, parameter or field)
   * @throws IllegalArgumentException naming it when the value is not a whole number in range
   */
  public static long parse(String value, long fallback, long min, long max, String name) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    OptionalLong n = lenient(value);
    if (n.isEmpty() || n.getAsLong() < min || n.getAsLong() > max) {
      throw new IllegalArgumentException(
          name
              + " must be a whole number from "
              + min
              + " to "
              + max
              + ", got '"
              + shown(value)
              + "'");
    }
    return n.getAsLong();
  }

  /** The value as a 64-bit whole number, or empty when it is absent or not one. */
  public static OptionalLong lenient(String value) {
    if (value == null || value.isBlank()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  private static String shown(String value) {
    return value.length() <= 40 ? value : value.substring(0, 40) + "...";
  }
}
