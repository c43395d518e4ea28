package dev.jobserver.api.common;

import jakarta.servlet.http.HttpServletRequest;
import java.security.SecureRandom;
import java.util.regex.Pattern;

/** X-Request-Id: the caller's, if it is sane, else a new one; kept on the request. */
public final class RequestIds {
  public static final String HEADER = "X-Request-Id";
  public static final String ATTRIBUTE = "jobserver.requestId";
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private RequestIds() {}

  public static String of(HttpServletRequest request) {
    Object existing = request.getAttribute(ATTRIBUTE);
    if (existing instanceof String s) {
      return s;
    }
    String given = request.getHeader(HEADER);
    String id = given != null && SANE.matcher(given).matches() ? given : newId();
    request.setAttribute(ATTRIBUTE, id);
    return id;
  }

  static String newId() {
    return dev.jobserver.job.JobIds.newMattermostId();
  }
}
