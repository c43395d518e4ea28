package dev.jobserver.api.mattermost;

import static dev.jobserver.api.mattermost.MattermostErrors.invalidBodyParam;

import dev.jobserver.common.WholeNumbers;
import jakarta.json.JsonNumber;
import jakarta.json.JsonValue;
import java.math.BigDecimal;

/** Paging as Mattermost reads it: bad or negative values fall back to the default. */
final class MattermostParams {
  static final int DEFAULT_PER_PAGE = 60;
  static final int MAX_PER_PAGE = 200;

  private MattermostParams() {}

  /** Pages past this would skip more rows than any table holds; treated as past the end. */
  static final int MAX_PAGE = 10_000_000;

  static int page(String value) {
    long n = parse(value);
    return n < 0 ? 0 : (int) Math.min(n, MAX_PAGE);
  }

  static int perPage(String value) {
    long n = parse(value);
    if (n < 0) {
      return DEFAULT_PER_PAGE;
    }
    return (int) Math.min(n, MAX_PER_PAGE);
  }

  static final int MAX_PRIORITY = 1_000_000;
  private static final BigDecimal MAX = BigDecimal.valueOf(MAX_PRIORITY);
  private static final BigDecimal MIN = BigDecimal.valueOf(-MAX_PRIORITY);

  /**
   * The {@code priority} extension: absent or null is 0; else a whole number within ±{@value
   * #MAX_PRIORITY}, compared as the number written (a {@code long} view would wrap
   * 18446744073709551617 to 1), or 400.
   */
  static int priority(JsonValue value) {
    if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
      return 0;
    }
    if (value.getValueType() == JsonValue.ValueType.NUMBER) {
      BigDecimal n = ((JsonNumber) value).bigDecimalValue();
      // scale 0 only: 1.0 and 1e2 are not written as integers; the comparisons never expand the
      // number, whatever its exponent
      if (n.scale() == 0 && n.compareTo(MIN) >= 0 && n.compareTo(MAX) <= 0) {
        return n.intValueExact();
      }
    }
    throw invalidBodyParam(
        "priority",
        "priority must be a whole number from -1000000 to 1000000, got " + shown(value));
  }

  private static String shown(JsonValue value) {
    String s = value.toString();
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  /** -1 for absent, non-integer or negative (Go's Atoi reads 64-bit values, so do we). */
  private static long parse(String value) {
    return WholeNumbers.lenient(value).orElse(-1);
  }
}
