package dev.jobserver.schedule;

import jakarta.ejb.ApplicationException;

@ApplicationException(rollback = true)
public class ScheduleNotFoundException extends RuntimeException {
  private final String scheduleId;

  public ScheduleNotFoundException(String scheduleId) {
    super("Schedule " + scheduleId + " does not exist.");
    this.scheduleId = scheduleId;
  }

  public String scheduleId() {
    return scheduleId;
  }
}
