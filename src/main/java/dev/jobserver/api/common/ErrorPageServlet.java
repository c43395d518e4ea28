package dev.jobserver.api.common;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Renders errors the container produces itself (a rejected token is answered 401 before any
 * application code runs, unknown paths outside the REST application are 404) as JSON in the format
 * of the API the request was for, instead of the server's HTML page. Mapped in web.xml.
 */
@WebServlet("/_error")
public class ErrorPageServlet extends HttpServlet {

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Object code = req.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    Object uri = req.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
    int status;
    if (req.getDispatcherType() != DispatcherType.ERROR) {
      // asked for by its path: this servlet is no route of either API
      status = 404;
      uri = req.getRequestURI();
    } else {
      status = code instanceof Integer i && i >= 400 && i <= 599 ? i : 500;
    }
    String requestId = RequestIds.of(req);
    res.setStatus(status);
    res.setHeader(RequestIds.HEADER, requestId);
    // exactly application/json: the Mattermost JavaScript client parses nothing else
    res.setContentType("application/json");
    byte[] body =
        ErrorBodies.forStatus(
                ApiFlavor.of(uri == null ? null : uri.toString()), status, requestId, null)
            .getBytes(StandardCharsets.UTF_8);
    res.setContentLength(body.length);
    if (status == 401) {
      res.setHeader("WWW-Authenticate", "Bearer");
    }
    res.getOutputStream().write(body);
  }
}
