package dev.jobserver.schedule;

import jakarta.ejb.ApplicationException;

/** A schedule definition that cannot be used; the message names the field. */
@ApplicationException(rollback = true)
public class InvalidScheduleException extends RuntimeException {
  private final String field;

  public InvalidScheduleException(String field, String message) {
    super(field + ": " + message);
    this.field = field;
  }

  /** The field that was wrong (cron, every, time_zone, type, overlap, misfire, ...). */
  public String field() {
    return field;
  }
}
