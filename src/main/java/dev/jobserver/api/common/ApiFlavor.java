package dev.jobserver.api.common;

/** Which API a request belongs to, by its path: it decides the shape of error bodies. */
public enum ApiFlavor {
  TAIPY,
  MATTERMOST,
  /** The native API, /api/jobserver/v1: {"message": ..., "request_id": ...}. */
  NATIVE;

  public static ApiFlavor of(String path) {
    if (path != null && path.contains("/api/jobserver/")) {
      return NATIVE;
    }
    return path != null && path.contains("/api/v1") ? TAIPY : MATTERMOST;
  }
}
