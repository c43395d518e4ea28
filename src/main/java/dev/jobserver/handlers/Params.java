package dev.jobserver.handlers;

import dev.jobserver.common.WholeNumbers;
import java.util.Map;

/** Reads typed values from a job's string data, with messages that say what was wrong. */
final class Params {
  private Params() {}

  static long longValue(Map<String, String> data, String key, long fallback, long min, long max) {
    return WholeNumbers.parse(data.get(key), fallback, min, max, "data." + key);
  }
}
