package dev.jobserver.job;

import jakarta.ejb.ApplicationException;

/**
 * A new job's data that its type refuses (checked at creation); the message names the data key,
 * e.g. {@code data.url: matches no prefix in JOBSERVER_HTTP_ALLOW}.
 */
@ApplicationException(rollback = true)
public class InvalidJobDataException extends RuntimeException {
  private final String key;

  /**
   * @param key the data key that was wrong, e.g. {@code url}
   * @param problem what was wrong with it
   */
  public InvalidJobDataException(String key, String problem) {
    super("data." + key + ": " + problem);
    this.key = key;
  }

  /** The data key that was wrong. */
  public String key() {
    return key;
  }

  /** The message without the leading {@code data.<key>: }. */
  public String problem() {
    return getMessage().substring(("data." + key + ": ").length());
  }
}
