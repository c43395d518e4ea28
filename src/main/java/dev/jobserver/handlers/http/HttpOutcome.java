package dev.jobserver.handlers.http;

import dev.jobserver.engine.JobFailure;
import java.time.Duration;

/** What a response's status means for the job. */
enum HttpOutcome {
  /** 2xx: the job completes with the body as its result. */
  SUCCESS,
  /** 5xx, 429: the attempt fails and is retried (honouring Retry-After) while attempts remain. */
  RETRY,
  /** 301, 302, 303, 307, 308: followed only to the same scheme, host and port. */
  REDIRECT,
  /** Any other status (4xx, other 3xx, 1xx): the job fails at once. */
  FAIL;

  /** How many characters of a response an error shows. */
  static final int ERROR_BODY_CHARS = 500;

  static HttpOutcome of(int status) {
    if (status >= 200 && status <= 299) {
      return SUCCESS;
    }
    if (status >= 500 || status == 429) {
      return RETRY;
    }
    if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
      return REDIRECT;
    }
    return FAIL;
  }

  /**
   * The failure of a response that did not succeed: the status, the call and the start of the body;
   * retried or final as the status says.
   */
  static JobFailure failure(
      int status, String method, String url, String bodyStart, Duration retryAfter) {
    String message =
        "HTTP "
            + status
            + " from "
            + method
            + " "
            + HttpCall.shown(url)
            + (bodyStart == null || bodyStart.isEmpty() ? "" : ": " + bodyStart);
    return of(status) == RETRY
        ? JobFailure.retryAfter(message, retryAfter, null)
        : JobFailure.permanent(message);
  }
}
