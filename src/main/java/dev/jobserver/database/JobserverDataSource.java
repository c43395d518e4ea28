package dev.jobserver.database;

import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.ejb.Singleton;

/**
 * The application's pooled data source; JPA and the engine both use it.
 *
 * <p>When the database goes away (README, Operating it): each connection is checked as it is handed
 * out (a cheap check with no round trip: the driver marks a connection closed once it failed), and
 * one found broken makes the pool drop all its idle ones (they were cut together), so a broken
 * connection is never handed out twice and the pool is whole again as soon as the database answers.
 * A request waits at most {@code JOBSERVER_DB_POOL_WAIT_MS} for a connection when all are in use.
 *
 * <p>The pool keeps no minimum of idle connections: when a connection fails, Payara drops all idle
 * ones and at once opens the minimum again, in the thread that closed the failed connection. In a
 * partition each of those opens waits the connect timeout, so with a minimum of 2 the request whose
 * statement had just timed out (3 s) waited 3 s more and answered its 503 after 6 s.
 */
@DataSourceDefinition(
    name = JobserverDataSource.JNDI_NAME,
    className = "dev.jobserver.database.ConfiguredDataSource",
    url = "configured-from-environment",
    minPoolSize = 0,
    maxPoolSize = 48,
    properties = {
      "fish.payara.is-connection-validation-required=true",
      "fish.payara.connection-validation-method=meta-data",
      "fish.payara.fail-all-connections=true",
      "fish.payara.max-wait-time-in-millis=${ENV=JOBSERVER_DB_POOL_WAIT_MS:2000}"
    })
@Singleton
public class JobserverDataSource {
  public static final String JNDI_NAME = "java:app/jdbc/jobserver";
}
