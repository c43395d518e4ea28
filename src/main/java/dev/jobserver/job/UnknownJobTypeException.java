package dev.jobserver.job;

import jakarta.ejb.ApplicationException;

@ApplicationException(rollback = true)
public class UnknownJobTypeException extends RuntimeException {
  private final String type;

  public UnknownJobTypeException(String type) {
    super("Unknown job type: " + type);
    this.type = type;
  }

  public String type() {
    return type;
  }
}
