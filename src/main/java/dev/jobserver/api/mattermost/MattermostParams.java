package dev.jobserver.api.mattermost;

/** Paging as Mattermost reads it: bad or negative values fall back to the default. */
final class MattermostParams {
  static final int DEFAULT_PER_PAGE = 60;
  static final int MAX_PER_PAGE = 200;

  private MattermostParams() {}

  static int page(String value) {
    int n = parse(value);
    return n < 0 ? 0 : n;
  }

  static int perPage(String value) {
    int n = parse(value);
    if (n < 0) {
      return DEFAULT_PER_PAGE;
    }
    return Math.min(n, MAX_PER_PAGE);
  }

  /** -1 for absent, non-integer or negative. */
  private static int parse(String value) {
    if (value == null || value.isBlank()) {
      return -1;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
