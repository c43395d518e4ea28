package dev.jobserver.api.common;

import jakarta.ws.rs.core.Response;

/** An error a resource decided, already in its API's format (AppError or Taipy message). */
public class ApiException extends RuntimeException {
  private final int status;
  private final String appErrorId;
  private final String detail;
  private final ApiFlavor flavor;

  private ApiException(
      ApiFlavor flavor, int status, String appErrorId, String message, String detail) {
    super(message);
    this.flavor = flavor;
    this.status = status;
    this.appErrorId = appErrorId;
    this.detail = detail;
  }

  /** A Mattermost AppError. */
  public static ApiException mattermost(int status, String id, String message, String detail) {
    return new ApiException(ApiFlavor.MATTERMOST, status, id, message, detail);
  }

  /** A Taipy {"message": ...} error. */
  public static ApiException taipy(int status, String message) {
    return new ApiException(ApiFlavor.TAIPY, status, null, message, null);
  }

  /** A native API error: {"message": ..., "request_id": ...}. */
  public static ApiException nativeError(int status, String message) {
    return new ApiException(ApiFlavor.NATIVE, status, null, message, null);
  }

  public int status() {
    return status;
  }

  public Response toResponse(String requestId) {
    String body =
        switch (flavor) {
          case TAIPY -> ErrorBodies.message(getMessage());
          case NATIVE -> ErrorBodies.nativeError(getMessage(), requestId);
          case MATTERMOST ->
              ErrorBodies.appError(appErrorId, getMessage(), detail, requestId, status);
        };
    return Response.status(status).type("application/json").entity(body).build();
  }
}
