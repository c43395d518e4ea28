package dev.jobserver.database;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import java.sql.Connection;
import java.util.logging.Logger;
import javax.sql.DataSource;
import liquibase.Scope;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;

/**
 * Brings the schema up to date with the Liquibase changelogs before anything else touches the
 * database: every other startup bean depends on this one.
 */
@Singleton
@Startup
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class DatabaseMigration {

  public static final String CHANGELOG = "liquibase/db.changelog-master.xml";
  private static final Logger LOG = Logger.getLogger(DatabaseMigration.class.getName());

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  private volatile boolean postgres;

  /** Set once the schema is up to date: health checks read it (no call into this bean). */
  private static volatile boolean migrated;

  @PostConstruct
  void migrate() {
    // an index built on a large table may take minutes: no socket timeout meanwhile
    try (Connection connection = dataSource.getConnection();
        LongStatements longer = LongStatements.on(connection)) {
      postgres =
          connection.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres");
      update(connection);
      migrated = true;
      LOG.info(
          "Database schema is up to date on "
              + connection.getMetaData().getDatabaseProductName()
              + " "
              + connection.getMetaData().getDatabaseProductVersion());
    } catch (Exception e) {
      throw new IllegalStateException("Database migration failed: " + e.getMessage(), e);
    }
  }

  /** Applies the changelogs that have not run yet on this connection's database. */
  public static void update(Connection connection) throws Exception {
    Database database =
        DatabaseFactory.getInstance()
            .findCorrectDatabaseImplementation(new JdbcConnection(connection));
    Scope.child(
        Scope.Attr.resourceAccessor.name(),
        new ClassLoaderResourceAccessor(DatabaseMigration.class.getClassLoader()),
        () ->
            new CommandScope(UpdateCommandStep.COMMAND_NAME)
                .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, CHANGELOG)
                .execute());
  }

  /** Whether this instance has brought the schema up to date (readiness waits for it). */
  public static boolean migrated() {
    return migrated;
  }

  /** True on PostgreSQL, false on H2: the few native statements that differ ask this. */
  public boolean isPostgres() {
    return postgres;
  }
}
