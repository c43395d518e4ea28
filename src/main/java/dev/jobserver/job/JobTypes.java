package dev.jobserver.job;

import java.util.regex.Pattern;

/** The shape of a job type name (= Taipy task config id). */
public final class JobTypes {
  public static final String NAME = "[a-z0-9_]{1,32}";
  private static final Pattern PATTERN = Pattern.compile(NAME);

  private JobTypes() {}

  public static boolean isWellFormed(String type) {
    return type != null && PATTERN.matcher(type).matches();
  }
}
