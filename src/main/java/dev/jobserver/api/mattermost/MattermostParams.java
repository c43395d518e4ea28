package dev.jobserver.api.mattermost;

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

  /** -1 for absent, non-integer or negative (Go's Atoi reads 64-bit values, so do we). */
  private static long parse(String value) {
    if (value == null || value.isBlank()) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
