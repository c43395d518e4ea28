package dev.jobserver.database;

import org.eclipse.persistence.config.SessionCustomizer;
import org.eclipse.persistence.sessions.DatabaseLogin;
import org.eclipse.persistence.sessions.Session;

/**
 * EclipseLink, when a read fails because its connection broke, pings the database and, finding it
 * gone, tries the read again up to 3 times, 5 s apart: a request that needs the database would hang
 * 15 s while it is down. Here a read is tried once; the request answers 503 at once and the client
 * retries (README, Operating it). Named in persistence.xml.
 */
public class NoQueryRetry implements SessionCustomizer {
  @Override
  public void customize(Session session) {
    if (session.getDatasourceLogin() instanceof DatabaseLogin login) {
      login.setQueryRetryAttemptCount(0);
      login.setDelayBetweenConnectionAttempts(0);
    }
  }
}
