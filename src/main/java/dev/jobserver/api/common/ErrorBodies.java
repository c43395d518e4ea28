package dev.jobserver.api.common;

import static dev.jobserver.job.JsonProviders.JSON;

/** Error bodies in each API's own format. */
public final class ErrorBodies {
  private ErrorBodies() {}

  /** The message of a 503: the database cannot be reached (README, Operating it). */
  public static final String UNAVAILABLE =
      "The database is unavailable; try again in a few seconds.";

  /**
   * The message of a busy 503: the database is up but canceled the request's statement for a lock
   * wait, a deadlock or a statement that ran too long (README, Operating it).
   */
  public static final String BUSY = "The database is busy; try again in a few seconds.";

  /** A busy 503's body in the API's format. */
  public static String busy(ApiFlavor flavor, String requestId) {
    return switch (flavor) {
      case TAIPY -> message(BUSY);
      case NATIVE -> nativeError(BUSY, requestId);
      default -> appError("api.context.database_busy.app_error", BUSY, "", requestId, 503);
    };
  }

  /** Mattermost's AppError. */
  public static String appError(
      String id, String message, String detail, String requestId, int status) {
    return JSON.createObjectBuilder()
        .add("id", id)
        .add("message", message)
        .add("detailed_error", detail == null ? "" : detail)
        .add("request_id", requestId == null ? "" : requestId)
        .add("status_code", status)
        .build()
        .toString();
  }

  /** Taipy's {"message": ...}. */
  public static String message(String message) {
    return JSON.createObjectBuilder().add("message", message).build().toString();
  }

  /** The native API's {"message": ..., "request_id": ...}. */
  public static String nativeError(String message, String requestId) {
    return JSON.createObjectBuilder()
        .add("message", message)
        .add("request_id", requestId == null ? "" : requestId)
        .build()
        .toString();
  }

  /** A body for a status the container or the JAX-RS runtime decided, in the API's format. */
  public static String forStatus(ApiFlavor flavor, int status, String requestId, String detail) {
    String message =
        switch (status) {
          case 401 -> "Invalid or expired session, please login again.";
          case 403 -> "You do not have the appropriate permissions.";
          case 404 -> "Sorry, we could not find the page.";
          case 405 -> "Method not allowed on this resource.";
          case 406 ->
              "The requested representation is not available; this API serves application/json.";
          case 413 -> "The request body is larger than 1 MiB.";
          case 415 -> "Unsupported media type.";
          case 503 -> UNAVAILABLE;
          default -> status >= 500 ? "An internal error occurred." : "Bad request.";
        };
    if (flavor == ApiFlavor.TAIPY) {
      return message(detail != null && status < 500 ? detail : message);
    }
    if (flavor == ApiFlavor.NATIVE) {
      return nativeError(detail != null && status < 500 ? detail : message, requestId);
    }
    String id =
        switch (status) {
          case 401 -> "api.context.session_expired.app_error";
          case 403 -> "api.context.permissions.app_error";
          case 404 -> "api.context.404.app_error";
          case 413 -> "api.context.request_body_too_large.app_error";
          case 503 -> "api.context.database_unavailable.app_error";
          default ->
              status >= 500
                  ? "api.context.internal_error.app_error"
                  : "api.context.invalid_param.app_error";
        };
    return appError(id, message, status >= 500 ? "" : detail, requestId, status);
  }
}
