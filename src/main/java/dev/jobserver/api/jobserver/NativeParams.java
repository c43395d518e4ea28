package dev.jobserver.api.jobserver;

import dev.jobserver.api.common.ApiException;
import dev.jobserver.job.JobStatus;
import dev.jobserver.job.JobTypes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The query parameters of the native API, each checked with a 400 that names it. */
final class NativeParams {

  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 500;

  /** Most distinct types one search may name. */
  static final int MAX_TYPES = 50;

  /** Ids are at most 80 characters, so is a prefix of one. */
  static final int MAX_PREFIX = 80;

  private NativeParams() {}

  /** Jobs per page: 1 to 500, 50 when absent. */
  static int limit(String value) {
    if (value == null || value.isBlank()) {
      return DEFAULT_LIMIT;
    }
    String v = value.trim();
    if (v.length() <= 3 && v.chars().allMatch(Character::isDigit)) {
      int n = Integer.parseInt(v);
      if (n >= 1 && n <= MAX_LIMIT) {
        return n;
      }
    }
    throw bad("limit: must be a whole number from 1 to " + MAX_LIMIT + ", got " + quote(value));
  }

  /**
   * The types a search asks for (any of): the parameter may repeat, and each value may list several
   * separated by commas. A well-formed name that no handler has (any more) matches its old jobs.
   */
  static Set<String> types(Collection<String> values) {
    Set<String> types = new LinkedHashSet<>();
    for (String type : split(values)) {
      if (!JobTypes.isWellFormed(type)) {
        throw bad("type: not a job type name: " + quote(type) + " (" + JobTypes.NAME + ")");
      }
      types.add(type);
    }
    if (types.size() > MAX_TYPES) {
      throw bad("type: at most " + MAX_TYPES + " types in one search");
    }
    return types;
  }

  /** The statuses a search asks for (any of), by their lower-case internal names. */
  static Set<JobStatus> statuses(Collection<String> values) {
    Set<JobStatus> statuses = new LinkedHashSet<>();
    for (String name : split(values)) {
      statuses.add(status("status", name));
    }
    return statuses;
  }

  static JobStatus status(String parameter, String name) {
    try {
      JobStatus status = JobStatus.valueOf(name.toUpperCase(Locale.ROOT));
      if (status.name().equalsIgnoreCase(name)) {
        return status;
      }
    } catch (IllegalArgumentException unknown) {
      // answered below
    }
    throw bad(
        parameter
            + ": unknown status "
            + quote(name)
            + " (one of "
            + Arrays.stream(JobStatus.values())
                .map(NativeParams::name)
                .collect(Collectors.joining(", "))
            + ")");
  }

  /** The status as the native API spells it. */
  static String name(JobStatus status) {
    return status.name().toLowerCase(Locale.ROOT);
  }

  /** The id prefix of {@code q}, or null for none. */
  static String idPrefix(String q) {
    if (q == null || q.isEmpty()) {
      return null;
    }
    if (q.length() > MAX_PREFIX) {
      throw bad("q: an id prefix of at most " + MAX_PREFIX + " characters");
    }
    return q;
  }

  /** A time parameter, or null when absent. */
  static Long time(String name, String value) {
    return value == null || value.isBlank() ? null : NativeTimes.parse(name, value);
  }

  private static List<String> split(Collection<String> values) {
    List<String> out = new ArrayList<>();
    if (values != null) {
      for (String value : values) {
        for (String part : value.split(",", -1)) {
          if (!part.isBlank()) {
            out.add(part.trim());
          }
        }
      }
    }
    return out;
  }

  static ApiException bad(String message) {
    return ApiException.nativeError(400, message);
  }

  /** A value a client sent, quoted for a message and cut short. */
  static String quote(Object value) {
    String s = String.valueOf(value);
    if (s.length() > 100) {
      s = s.substring(0, 100) + "...";
    }
    return "'" + s + "'";
  }
}
