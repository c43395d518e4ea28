package dev.jobserver.store;

/**
 * Text on its way to a text column. PostgreSQL refuses NUL in text and both databases refuse or
 * mangle unpaired UTF-16 surrogates; a value one database refuses must not make a write fail (an
 * outcome that cannot be written would hold its job, and every job written with it, for ever). JSON
 * columns need none of this: the JSON writer escapes control characters.
 */
public final class Text {

  private static final char REPLACEMENT = '\uFFFD';

  private Text() {}

  /** The value with NUL and unpaired surrogates replaced, cut to {@code max} characters. */
  public static String column(String value, int max) {
    if (value == null) {
      return null;
    }
    String clean = clean(value);
    if (clean.length() <= max) {
      return clean;
    }
    int end = max;
    if (Character.isHighSurrogate(clean.charAt(end - 1))) {
      end--; // never cut a pair in two
    }
    return clean.substring(0, end);
  }

  /** The value with NUL and unpaired surrogates replaced by U+FFFD. */
  public static String clean(String value) {
    if (value == null) {
      return null;
    }
    StringBuilder out = null;
    int n = value.length();
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      boolean bad;
      if (c == 0) {
        bad = true;
      } else if (Character.isHighSurrogate(c)) {
        bad = i + 1 >= n || !Character.isLowSurrogate(value.charAt(i + 1));
        if (!bad) {
          if (out != null) {
            out.append(c).append(value.charAt(i + 1));
          }
          i++;
          continue;
        }
      } else {
        bad = Character.isLowSurrogate(c);
      }
      if (bad && out == null) {
        out = new StringBuilder(n).append(value, 0, i);
      }
      if (out != null) {
        out.append(bad ? REPLACEMENT : c);
      }
    }
    return out == null ? value : out.toString();
  }
}
