package dev.jobserver.api.common;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Every response carries X-Request-Id; a body declared larger than 1 MiB is refused with 413 before
 * it is read (bodies without a length are capped where they are read, see {@link Bodies}).
 */
@WebFilter(
    urlPatterns = "/*",
    // a worker's claim waits without holding a thread (a long poll): every filter allows it
    asyncSupported = true,
    dispatcherTypes = {DispatcherType.REQUEST, DispatcherType.ERROR})
public class RequestFilter extends HttpFilter {

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    String requestId = RequestIds.of(req);
    res.setHeader(RequestIds.HEADER, requestId);
    if (req.getDispatcherType() == DispatcherType.REQUEST
        && req.getContentLengthLong() > Bodies.MAX_BYTES
        && !isResultUpload(req)) {
      ApiFlavor flavor = ApiFlavor.of(req.getRequestURI());
      res.setStatus(413);
      res.setContentType("application/json");
      res.setHeader("Connection", "close");
      res.getOutputStream()
          .write(
              ErrorBodies.forStatus(flavor, 413, requestId, null).getBytes(StandardCharsets.UTF_8));
      return;
    }
    if (!req.getRequestURI().startsWith("/api/")) {
      // the console's files: revalidated on every load, so that after an upgrade a browser never
      // mixes old and new modules (the API's answers are not cached anyway)
      res.setHeader("Cache-Control", "no-cache");
    }
    chain.doFilter(req, res);
  }

  /** A worker's result file: limited by the result size limit, where it is read. */
  private static boolean isResultUpload(HttpServletRequest req) {
    return "PUT".equals(req.getMethod())
        && req.getRequestURI().contains("/api/jobserver/v1/jobs/")
        && req.getRequestURI().endsWith("/result");
  }
}
