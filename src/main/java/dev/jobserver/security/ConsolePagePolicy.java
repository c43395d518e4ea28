package dev.jobserver.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.Locale;

/**
 * The console page's Content-Security-Policy, sent as a header rather than written in index.html:
 * the console's SSO sign-in fetches the IdP's discovery document and token endpoint from the
 * browser, and the IdP's origin is known only from this server's settings. It is allowed for {@code
 * connect-src} only, and only when the console offers SSO ({@code JOBSERVER_OIDC_CLIENT_ID} set);
 * the rest of the policy keeps scripts, styles and forms to this server.
 */
// asyncSupported: a worker's claim waits without holding a thread (a long poll)
@WebFilter(urlPatterns = "/*", asyncSupported = true)
public class ConsolePagePolicy extends HttpFilter {

  static final String HEADER = "Content-Security-Policy";

  private volatile String policy;

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    String path = req.getRequestURI().substring(req.getContextPath().length());
    if (path.equals("/") || path.equals("/index.html")) {
      res.setHeader(HEADER, policy());
    }
    chain.doFilter(req, res);
  }

  private String policy() {
    String ready = policy;
    if (ready == null) {
      String issuer = null;
      String clientId = null;
      try {
        SingleSignOn sso = SingleSignOn.instance();
        issuer = sso.issuer();
        clientId = sso.clientId();
      } catch (IllegalArgumentException e) {
        // malformed settings stop the deployment (SecurityStartup); until then, no SSO
      }
      ready = forConsole(issuer, clientId);
      policy = ready;
    }
    return ready;
  }

  /**
   * The policy for the console page: the issuer's origin may be fetched when the console has a
   * client id there; an issuer that is not a plain http(s) URL adds nothing.
   */
  static String forConsole(String issuer, String clientId) {
    String idp = clientId == null ? null : origin(issuer);
    return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
        + " img-src 'self' data:; connect-src 'self'"
        + (idp == null ? "" : " " + idp)
        + "; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  }

  /** scheme://host[:port] of an http(s) URL, or null; never anything that could end a directive. */
  static String origin(String url) {
    if (url == null) {
      return null;
    }
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (java.net.URISyntaxException e) {
      return null;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost();
    if (!(scheme.equals("https") || scheme.equals("http"))
        || host == null
        || uri.getRawUserInfo() != null
        || !host.matches("[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\]")) {
      return null;
    }
    return scheme
        + "://"
        + host.toLowerCase(Locale.ROOT)
        + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
  }
}
