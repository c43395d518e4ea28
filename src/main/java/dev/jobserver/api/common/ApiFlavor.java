package dev.jobserver.api.common;

/** Which API a request belongs to, by its path: it decides the shape of error bodies. */
public enum ApiFlavor {
  TAIPY,
  MATTERMOST;

  public static ApiFlavor of(String path) {
    return path != null && path.contains("/api/v1") ? TAIPY : MATTERMOST;
  }
}
