package dev.jobserver.api.mattermost;

import dev.jobserver.api.common.ApiException;

/** The AppErrors of the v4 jobs API. */
final class MattermostErrors {
  private MattermostErrors() {}

  static ApiException invalidUrlParam(String name, String detail) {
    return ApiException.mattermost(
        400,
        "api.context.invalid_url_param.app_error",
        "Invalid or missing " + name + " parameter in request URL.",
        detail);
  }

  static ApiException invalidBodyParam(String name, String detail) {
    return ApiException.mattermost(
        400,
        "api.context.invalid_body_param.app_error",
        "Invalid or missing " + name + " in request body.",
        detail);
  }

  static ApiException notFound(String id) {
    return ApiException.mattermost(
        404, "app.job.get.app_error", "Unable to get the job.", "job " + id + " does not exist");
  }

  static ApiException invalidStatus(String detail) {
    return ApiException.mattermost(400, "api.job.status.invalid", "Invalid job status.", detail);
  }
}
