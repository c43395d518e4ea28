package dev.jobserver.handlers.http;

import dev.jobserver.common.WholeNumbers;
import dev.jobserver.job.InvalidJobDataException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What an {@code http} job's data asks for, checked key by key: {@code url}, {@code method}
 * (default POST), {@code body}, {@code content_type} (default {@code application/json} when there
 * is a body), {@code timeout_ms} (default 30000) and headers as {@code header.<Name>}. Other keys
 * are left alone (the job shows what its runs added, e.g. {@code http_status}).
 */
record HttpCall(
    String url,
    String method,
    byte[] body,
    String contentType,
    Duration timeout,
    Map<String, String> headers) {

  static final String HEADER_PREFIX = "header.";
  static final long DEFAULT_TIMEOUT_MS = 30_000;
  static final long MAX_TIMEOUT_MS = 600_000;

  static final Set<String> METHODS =
      Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");

  /** Headers the call sets itself, or the HTTP client does: a job may not set them. */
  static final Set<String> RESERVED =
      Set.of(
          "host",
          "content-length",
          "content-type",
          "connection",
          "transfer-encoding",
          "expect",
          "upgrade",
          "te",
          "trailer",
          "keep-alive",
          "proxy-connection",
          "idempotency-key",
          "jobserver-signature");

  /**
   * The call a job's data describes; the URL is checked against {@code allow}.
   *
   * @throws InvalidJobDataException naming the key that is wrong
   */
  static HttpCall of(Map<String, String> data, HttpAllowList allow) {
    String url = data.get("url");
    if (url == null || url.isBlank()) {
      throw new InvalidJobDataException("url", "required: the URL to call");
    }
    if (allow.isEmpty()) {
      throw new InvalidJobDataException(
          "url",
          "the http type is off: JOBSERVER_HTTP_ALLOW [jobserver.http.allow] lists no URL prefix");
    }
    try {
      allow.check(url.trim());
    } catch (IllegalArgumentException e) {
      throw new InvalidJobDataException("url", "'" + shown(url) + "' " + e.getMessage());
    }
    String method = data.getOrDefault("method", "POST").trim().toUpperCase(Locale.ROOT);
    if (method.isEmpty()) {
      method = "POST";
    }
    if (!METHODS.contains(method)) {
      throw new InvalidJobDataException(
          "method",
          "must be one of " + new java.util.TreeSet<>(METHODS) + ", got '" + shown(method) + "'");
    }
    String body = data.get("body");
    String contentType = data.get("content_type");
    if (contentType != null && (contentType.isBlank() || hasLineBreak(contentType))) {
      throw new InvalidJobDataException("content_type", "must be a media type on one line");
    }
    if (contentType == null && body != null) {
      contentType = "application/json";
    }
    long timeout;
    try {
      timeout =
          WholeNumbers.parse(data.get("timeout_ms"), DEFAULT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS, "it");
    } catch (IllegalArgumentException e) {
      throw new InvalidJobDataException("timeout_ms", e.getMessage().substring("it ".length()));
    }
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (Map.Entry<String, String> e : data.entrySet()) {
      if (!e.getKey().startsWith(HEADER_PREFIX)) {
        continue;
      }
      String name = e.getKey().substring(HEADER_PREFIX.length());
      if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
        throw new InvalidJobDataException(e.getKey(), "is not a header name (an HTTP token)");
      }
      if (RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
        throw new InvalidJobDataException(
            e.getKey(),
            name
                + " is set by the call itself"
                + (name.equalsIgnoreCase("content-type") ? "; use data.content_type" : ""));
      }
      if (hasLineBreak(e.getValue())) {
        throw new InvalidJobDataException(e.getKey(), "must be one line");
      }
      headers.put(name, e.getValue());
    }
    return new HttpCall(
        url.trim(),
        method,
        body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8),
        contentType,
        Duration.ofMillis(timeout),
        headers);
  }

  private static boolean hasLineBreak(String s) {
    return s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\0') >= 0;
  }

  static String shown(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
