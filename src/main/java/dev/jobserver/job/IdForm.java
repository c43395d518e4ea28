package dev.jobserver.job;

/** Which API's id form a new job gets. */
public enum IdForm {
  MATTERMOST,
  TAIPY
}
