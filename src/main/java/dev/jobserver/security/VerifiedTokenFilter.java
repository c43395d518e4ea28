package dev.jobserver.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Records the bearer token of every authenticated API request in {@link VerifiedTokens}. Filters
 * run after the container has authenticated the request, so a {@link JsonWebToken} principal here
 * is one that Payara's MP-JWT identity store verified (or that {@link CachedTokenIdentityStore}
 * answered for, which is a no-op here).
 */
@WebFilter(urlPatterns = "/api/*")
public class VerifiedTokenFilter extends HttpFilter {

  /**
   * Reads the cache's settings when the application starts, so that a bad
   * JOBSERVER_TOKEN_CACHE_SECONDS is reported (and the cache left off) in the startup log.
   */
  @Override
  public void init() {
    VerifiedTokens.instance();
  }

  @Override
  protected void doFilter(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (req.getUserPrincipal() instanceof JsonWebToken jwt) {
      VerifiedTokens.instance().remember(jwt, System.currentTimeMillis());
    }
    chain.doFilter(req, res);
  }
}
