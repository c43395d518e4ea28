package dev.jobserver.api.jobserver;

import dev.jobserver.api.common.ApiException;
import dev.jobserver.job.JobQuery;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * The opaque cursor of a job search: the keyset position after which the next page starts (the last
 * job's create_at and id, newest first), base64url so that clients pass it on unchanged.
 */
final class Cursor {

  private static final String VERSION = "1";

  /** The characters of job ids (both forms). */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]+");

  /** Longer than any cursor this class writes (ids are at most 80 characters). */
  private static final int MAX_LENGTH = 200;

  private Cursor() {}

  static String encode(JobQuery.Position position) {
    String plain = VERSION + ":" + position.createAt() + ":" + position.id();
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The position a cursor stands for.
   *
   * @throws ApiException 400 naming {@code cursor} if it is not one this API wrote
   */
  static JobQuery.Position decode(String cursor) {
    if (cursor == null || cursor.isEmpty() || cursor.length() > MAX_LENGTH) {
      throw bad();
    }
    String plain;
    try {
      plain = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw bad();
    }
    String[] parts = plain.split(":", 3);
    if (parts.length != 3
        || !parts[0].equals(VERSION)
        || parts[1].isEmpty()
        || parts[1].length() > 15
        || !parts[1].chars().allMatch(Character::isDigit)
        || parts[2].length() > 80
        || !ID.matcher(parts[2]).matches()) {
      throw bad();
    }
    return new JobQuery.Position(Long.parseLong(parts[1]), parts[2]);
  }

  private static ApiException bad() {
    return ApiException.nativeError(
        400, "cursor: not a cursor of this API (pass next_cursor of the previous page unchanged)");
  }
}
