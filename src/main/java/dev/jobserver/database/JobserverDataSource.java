package dev.jobserver.database;

import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.ejb.Singleton;

/** The application's pooled data source; JPA and the engine both use it. */
@DataSourceDefinition(
    name = JobserverDataSource.JNDI_NAME,
    className = "dev.jobserver.database.ConfiguredDataSource",
    url = "configured-from-environment",
    minPoolSize = 2,
    maxPoolSize = 48)
@Singleton
public class JobserverDataSource {
  public static final String JNDI_NAME = "java:app/jdbc/jobserver";
}
