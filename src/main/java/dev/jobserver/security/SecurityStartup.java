package dev.jobserver.security;

import jakarta.annotation.PostConstruct;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import java.util.logging.Logger;

/**
 * Reads the security settings when the application starts. A malformed single sign-on setting stops
 * the deployment here, with a message naming it, rather than leaving a server that refuses every
 * caller (a startup bean's failure fails the deployment; a filter's does not).
 */
@Singleton
@Startup
public class SecurityStartup {

  private static final Logger LOG = Logger.getLogger(SecurityStartup.class.getName());

  @PostConstruct
  void check() {
    SingleSignOn sso;
    try {
      sso = SingleSignOn.instance();
    } catch (IllegalArgumentException e) {
      LOG.severe("Jobserver cannot start: " + e.getMessage());
      throw new IllegalStateException("Jobserver cannot start: " + e.getMessage(), e);
    }
    VerifiedTokens.instance();
    LOG.info(sso.describe());
  }
}
