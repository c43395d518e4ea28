package dev.jobserver.handlers.http;

import dev.jobserver.common.Settings;
import dev.jobserver.engine.JobContext;
import dev.jobserver.engine.JobFailure;
import dev.jobserver.engine.JobHandler;
import dev.jobserver.engine.JobTypeSettings;
import dev.jobserver.job.InvalidJobDataException;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The built-in {@code http} type: calls {@code data.url} once per attempt. A 2xx completes the job
 * with the response body (up to 1 MiB) as its result; 5xx, 429, timeouts and connection errors are
 * retried (after {@code Retry-After} when the response says, else the type's backoff); any other
 * status fails it at once. Each attempt sends {@code Idempotency-Key: <job id>} and, with a signing
 * key configured, {@code Jobserver-Signature}. Off until {@code JOBSERVER_HTTP_ALLOW} lists URL
 * prefixes; see {@link HttpAllowList} for which URLs and addresses are allowed.
 */
@ApplicationScoped
public class HttpJobHandler implements JobHandler {

  static final String ALLOW = "JOBSERVER_HTTP_ALLOW";
  static final String SIGNING_KEY = "JOBSERVER_HTTP_SIGNING_KEY";
  static final String SIGNING_KEY_PREVIOUS = "JOBSERVER_HTTP_SIGNING_KEY_PREVIOUS";

  /** The largest response body kept as the job's result. */
  static final int MAX_RESULT_BYTES = 1 << 20;

  /** How many redirects to the same origin are followed at most. */
  static final int MAX_REDIRECTS = 5;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private volatile HttpClient client;

  @Override
  public String type() {
    return "http";
  }

  @Override
  public String description() {
    return "Calls data.url (data.method, default POST, with data.body, data.content_type and"
        + " data.header.<Name>) and keeps the response as the result; 5xx and 429 are retried."
        + (allowList().isEmpty() ? " Off: JOBSERVER_HTTP_ALLOW lists no URL prefix." : "");
  }

  @Override
  public JobTypeSettings settings() {
    return new JobTypeSettings(Duration.ofMinutes(15), 5, Duration.ofSeconds(10), 0);
  }

  @Override
  public void checkData(Map<String, String> data) {
    HttpCall.of(data, allowListForCreate());
  }

  @Override
  public void run(JobContext context) throws Exception {
    HttpAllowList allow;
    HttpCall call;
    try {
      allow = HttpAllowList.parse(Settings.get(ALLOW));
      call = HttpCall.of(context.data(), allow);
    } catch (IllegalArgumentException | InvalidJobDataException e) { // the setting changed
      throw JobFailure.permanent(e.getMessage());
    }
    String url = call.url();
    String method = call.method();
    byte[] body = call.body();
    for (int redirects = 0; ; redirects++) {
      try {
        allow.resolve(url); // now: the name may point elsewhere than when the job was created
      } catch (IllegalArgumentException e) {
        throw JobFailure.permanent("refused " + HttpCall.shown(url) + ": " + e.getMessage());
      } catch (UnknownHostException e) {
        throw JobFailure.retryAfter("unknown host: " + HttpCall.shown(url), null, e);
      }
      HttpRequest request;
      try {
        request = request(context, call, url, method, body);
      } catch (IllegalArgumentException e) { // a URL or header the HTTP client refuses
        throw JobFailure.permanent("cannot call " + HttpCall.shown(url) + ": " + e.getMessage());
      }
      HttpResponse<BoundedBody> response = send(request, call.timeout(), context, method, url);
      int status = response.statusCode();
      HttpOutcome outcome = HttpOutcome.of(status);
      if (outcome == HttpOutcome.SUCCESS) {
        keep(context, response);
        return;
      }
      if (outcome == HttpOutcome.REDIRECT) {
        String location = response.headers().firstValue("Location").orElse(null);
        String next = location == null ? null : sameOrigin(url, location);
        if (next == null || redirects >= MAX_REDIRECTS) {
          throw JobFailure.permanent(
              "HTTP "
                  + status
                  + " from "
                  + method
                  + " "
                  + HttpCall.shown(url)
                  + (next == null
                      ? location == null
                          ? ": a redirect without Location"
                          : ": redirect to another host not followed: " + HttpCall.shown(location)
                      : ": more than " + MAX_REDIRECTS + " redirects"));
        }
        if ((status == 303 && !method.equals("HEAD"))
            || ((status == 301 || status == 302) && method.equals("POST"))) {
          method = "GET"; // as browsers and HTTP clients do
          body = new byte[0];
        }
        url = next;
        continue;
      }
      Duration retryAfter =
          RetryAfter.parse(
              response.headers().firstValue("Retry-After").orElse(null), Instant.now());
      context.putData("http_status", Integer.toString(status));
      throw HttpOutcome.failure(
          status, method, url, response.body().start(HttpOutcome.ERROR_BODY_CHARS), retryAfter);
    }
  }

  private HttpRequest request(
      JobContext context, HttpCall call, String url, String method, byte[] body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(call.timeout())
            .method(
                method,
                body.length == 0
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
    call.headers().forEach(b::header);
    if (call.contentType() != null && body.length > 0) {
      b.header("Content-Type", call.contentType());
    }
    b.header("Idempotency-Key", context.jobId());
    String signature = HttpSignature.header(signingKeys(), Instant.now().getEpochSecond(), body);
    if (signature != null) {
      b.header(HttpSignature.HEADER, signature);
    }
    return b.build();
  }

  /**
   * Sends and waits for the response, within the call's timeout; a cancel (the run's thread
   * interrupted, or asked to stop) aborts the request in flight and closes its connection.
   */
  private HttpResponse<BoundedBody> send(
      HttpRequest request, Duration timeout, JobContext context, String method, String url)
      throws JobFailure, InterruptedException {
    CompletableFuture<HttpResponse<BoundedBody>> future =
        client().sendAsync(request, BoundedBody.handler(MAX_RESULT_BYTES));
    long deadline = System.nanoTime() + timeout.toNanos();
    String call = method + " " + HttpCall.shown(url);
    try {
      while (true) {
        if (context.cancelRequested()) {
          future.cancel(true);
          throw new InterruptedException("canceled: " + call + " aborted");
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          future.cancel(true);
          throw JobFailure.retryAfter(
              call + " timed out after " + timeout.toMillis() + " ms", null, null);
        }
        try {
          return future.get(
              Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
        } catch (TimeoutException stillWaiting) {
          // look at the cancel and the deadline again
        }
      }
    } catch (InterruptedException e) {
      future.cancel(true);
      throw e;
    } catch (CancellationException e) {
      throw new InterruptedException("canceled: " + call + " aborted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof HttpTimeoutException) {
        throw JobFailure.retryAfter(
            call + " timed out after " + timeout.toMillis() + " ms", null, cause);
      }
      if (cause instanceof IOException) {
        throw JobFailure.retryAfter(
            call + " failed: " + Objects.toString(cause.getMessage(), cause.getClass().getName()),
            null,
            cause);
      }
      throw JobFailure.retryAfter(call + " failed: " + cause, null, cause);
    }
  }

  /** Writes a successful response's body as the job's result. */
  private static void keep(JobContext context, HttpResponse<BoundedBody> response)
      throws IOException {
    BoundedBody body = response.body();
    context.putData("http_status", Integer.toString(response.statusCode()));
    if (body.truncated()) {
      context.putData("response_truncated", "the first " + MAX_RESULT_BYTES + " bytes are kept");
    }
    String type = response.headers().firstValue("Content-Type").orElse("application/octet-stream");
    try (OutputStream out = context.openResult("response-" + context.jobId(), type)) {
      out.write(body.bytes());
    }
  }

  /**
   * The redirect's target when it is on the same scheme, host and port as {@code url}, else null.
   */
  static String sameOrigin(String url, String location) {
    try {
      URI from = URI.create(url);
      URI to = from.resolve(location.trim());
      if (to.getScheme() == null
          || to.getHost() == null
          || !to.getScheme().equalsIgnoreCase(from.getScheme())
          || !to.getHost().equalsIgnoreCase(from.getHost())
          || port(to) != port(from)
          || to.getRawUserInfo() != null) {
        return null;
      }
      return to.toString();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static int port(URI u) {
    return u.getPort() != -1 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
  }

  private static List<String> signingKeys() {
    List<String> keys = new ArrayList<>();
    keys.add(Settings.get(SIGNING_KEY));
    keys.add(Settings.get(SIGNING_KEY_PREVIOUS));
    return keys;
  }

  private static HttpAllowList allowList() {
    try {
      return HttpAllowList.parse(Settings.get(ALLOW));
    } catch (IllegalArgumentException e) {
      return HttpAllowList.parse(null);
    }
  }

  private static HttpAllowList allowListForCreate() {
    try {
      return HttpAllowList.parse(Settings.get(ALLOW));
    } catch (IllegalArgumentException e) {
      throw new InvalidJobDataException(
          "url",
          "the http type is off: " + Settings.describe(ALLOW) + " is not valid: " + e.getMessage());
    }
  }

  private HttpClient client() {
    HttpClient c = client;
    if (c == null) {
      synchronized (this) {
        c = client;
        if (c == null) {
          c =
              HttpClient.newBuilder()
                  .version(HttpClient.Version.HTTP_1_1) // a cancel closes the connection
                  .followRedirects(HttpClient.Redirect.NEVER) // followed here, same origin only
                  .connectTimeout(CONNECT_TIMEOUT)
                  .proxy(HttpClient.Builder.NO_PROXY)
                  .build();
          client = c;
        }
      }
    }
    return c;
  }
}
