package dev.jobserver.job;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The internal status of a job and how each API spells it. */
public enum JobStatus {
  PENDING("pending", "Status.PENDING"),
  BLOCKED("pending", "Status.BLOCKED"),
  RUNNING("in_progress", "Status.RUNNING"),
  CANCEL_REQUESTED("cancel_requested", "Status.RUNNING"),
  COMPLETED("success", "Status.COMPLETED"),
  WARNING("warning", "Status.COMPLETED"),
  FAILED("error", "Status.FAILED"),
  CANCELED("canceled", "Status.CANCELED"),
  SKIPPED("success", "Status.SKIPPED"),
  ABANDONED("canceled", "Status.ABANDONED");

  public static final Set<JobStatus> FINISHED =
      EnumSet.of(COMPLETED, WARNING, FAILED, CANCELED, SKIPPED, ABANDONED);

  private final String mattermost;
  private final String taipy;

  JobStatus(String mattermost, String taipy) {
    this.mattermost = mattermost;
    this.taipy = taipy;
  }

  public String mattermost() {
    return mattermost;
  }

  public String taipy() {
    return taipy;
  }

  public boolean isFinished() {
    return FINISHED.contains(this);
  }

  /** The internal statuses a v4 status name stands for; empty if the name is not a v4 status. */
  public static List<JobStatus> fromMattermost(String name) {
    return Arrays.stream(values()).filter(s -> s.mattermost.equals(name)).toList();
  }
}
