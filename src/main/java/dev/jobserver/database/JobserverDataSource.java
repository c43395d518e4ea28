package dev.jobserver.database;

import dev.jobserver.common.Settings;
import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.ejb.Singleton;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;

/**
 * The application's data source; JPA and the engine both use it, by the name {@link #JNDI_NAME}.
 *
 * <p>That name is a reference (WEB-INF/web.xml) to one of two data sources, and persistence.xml
 * names the same one: the server's own, when {@code jobserver.datasource} (MicroProfile Config;
 * environment JOBSERVER_DATASOURCE) names a JNDI resource such as {@code jdbc/jobserver} that the
 * administrator made (a Payara Server domain's JDBC pool: its size, validation and timeouts are
 * then the administrator's, see docs/deploying.md); otherwise the WAR's own pool below, {@link
 * #OWN_POOL}, on the database that JOBSERVER_DB_URL names (or the embedded H2). Payara expands
 * {@code ${MPCONFIG=...}} in deployment descriptors when it reads them, at deployment.
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
    name = JobserverDataSource.OWN_POOL,
    className = "dev.jobserver.database.ConfiguredDataSource",
    url = "configured-from-environment",
    minPoolSize = 0,
    maxPoolSize = 48,
    properties = {
      "fish.payara.is-connection-validation-required=true",
      "fish.payara.connection-validation-method=meta-data",
      "fish.payara.fail-all-connections=true",
      "fish.payara.max-wait-time-in-millis=${MPCONFIG=jobserver.db.pool.wait.ms:2000}"
    })
@Singleton
public class JobserverDataSource {
  /** What the application looks up: the operator's data source or the WAR's own pool. */
  public static final String JNDI_NAME = "java:app/jdbc/jobserver";

  /** The WAR's own pool, used when {@code jobserver.datasource} is not set. */
  public static final String OWN_POOL = "java:app/jdbc/jobserver-pool";

  /** The setting that names the operator's data source. */
  public static final String SETTING = "JOBSERVER_DATASOURCE";

  /**
   * The data source the engine's shutdown path writes through (hand-back, leases, the instance's
   * row), which must outlive the application's own resources: the operator's data source when
   * {@code jobserver.datasource} names one (the server's pool, not the application's, stays up
   * while the application is undeployed), else direct, unpooled connections to the configured
   * database (the container destroys the WAR's own pool before the engine's shutdown runs). Before,
   * the shutdown path always took the second, so with the operator's data source it wrote to the
   * embedded H2 default and handed no job back on undeploy (issue 21).
   */
  public static DataSource outlivingTheApplication() {
    String named = Settings.get(SETTING);
    if (named == null) {
      return new ConfiguredDataSource();
    }
    try {
      return (DataSource) new InitialContext().lookup(named);
    } catch (NamingException | ClassCastException e) {
      throw new IllegalStateException(
          "the server's data source " + named + " (" + Settings.describe(SETTING) + "): " + e, e);
    }
  }
}
