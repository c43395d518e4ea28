package dev.jobserver.database;

import dev.jobserver.common.Settings;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import java.sql.Connection;
import java.sql.Statement;
import java.util.logging.Logger;
import javax.sql.DataSource;
import liquibase.Scope;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.LockException;
import liquibase.lockservice.LockService;
import liquibase.lockservice.LockServiceFactory;
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
  @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED) // see JobEngine.boot
  void migrate() {
    String named = Settings.get(JobserverDataSource.SETTING);
    if (named == null) {
      // the WAR's own pool reads it through ${MPCONFIG=...}: a malformed value is refused here
      Settings.number("JOBSERVER_DB_POOL_WAIT_MS", 2000, 0, 600_000);
    }
    try {
      // the connection is taken, used and closed on the migration's thread: one thread owns it
      // from the pool to its return (the RAR5031 at deploy came from the lifecycle callback's
      // transaction, now NOT_SUPPORTED on the method itself, see JobEngine.boot)
      onThreadOfItsOwn(() -> migrateOn(named));
    } catch (Exception e) {
      // the deployment fails here, naming the data source and the cause: nothing half-started
      throw new IllegalStateException(
          "Database migration failed on "
              + (named == null
                  ? "Jobserver's own pool (" + redacted(DatabaseSettings.url()) + ")"
                  : "the server's data source " + named)
              + ": "
              + causes(e),
          e);
    }
  }

  private void migrateOn(String named) throws Exception {
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
              + connection.getMetaData().getDatabaseProductVersion()
              + (named == null
                  ? " (Jobserver's own pool)"
                  : " (the server's data source "
                      + named
                      + ", "
                      + Settings.describe(JobserverDataSource.SETTING)
                      + ")"));
    }
  }

  /**
   * The embedded H2 file database is closed with the application, so that an undeploy leaves no
   * open file behind for the next deployment (a redeploy in a Payara Server domain failed with
   * "Writing to FileChannel failed" while the old application still held it). Every other bean
   * depends on this one, so it is destroyed last.
   */
  @PreDestroy
  @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
  void closeEmbedded() {
    String url = DatabaseSettings.url();
    if (Settings.get(JobserverDataSource.SETTING) != null || !url.startsWith("jdbc:h2:file:")) {
      return;
    }
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("SHUTDOWN");
      LOG.info("Closed the embedded H2 database " + url);
    } catch (Exception e) {
      LOG.warning("Could not close the embedded H2 database " + url + ": " + e);
    }
  }

  /** The message and its causes', once each: the server's own wrapping often hides the cause. */
  static String causes(Throwable e) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
      String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
      if (out.indexOf(m) < 0) {
        out.append(out.length() == 0 ? "" : " <- ").append(m);
      }
    }
    return out.toString();
  }

  private static String redacted(String url) {
    return url.replaceAll("(?i)(password=)[^;&]*", "$1***");
  }

  /** Work that may throw, run on a thread of its own. */
  interface Work {
    void run() throws Exception;
  }

  /**
   * Runs the work on a thread of its own and waits for it: Liquibase keeps its scope in thread
   * locals that it never removes, and on the deploying thread (one of the server's, kept after an
   * undeploy) they held the application's classes (Payara Server logged a warning per leaked thread
   * local at undeploy). They end with this thread.
   */
  static void onThreadOfItsOwn(Work work) throws Exception {
    Throwable[] failed = {null};
    Thread thread =
        new Thread(
            () -> {
              try {
                work.run();
              } catch (Throwable e) {
                failed[0] = e;
              }
            },
            "jobserver-migration");
    thread.start();
    thread.join();
    if (failed[0] instanceof Error e) {
      throw e;
    }
    if (failed[0] != null) {
      throw (Exception) failed[0];
    }
  }

  /**
   * Applies the changelogs that have not run yet on this connection's database. Several instances
   * deploying at once migrate once: Liquibase's lock (DATABASECHANGELOGLOCK) is taken before
   * anything else, so one applies them while the others wait, then find nothing left to do (without
   * it, two instances on a fresh database both created DATABASECHANGELOG and one failed). A schema
   * applied beforehand with {@code mvn liquibase:update} is the same: the change sets' logical
   * paths are the WAR's. A database that a newer Jobserver migrated is refused, naming what is
   * newer, before anything is changed.
   */
  public static void update(Connection connection) throws Exception {
    Database database =
        DatabaseFactory.getInstance()
            .findCorrectDatabaseImplementation(new JdbcConnection(connection));
    LockService lock = LockServiceFactory.getInstance().getLockService(database);
    lockCreatingItsTable(lock);
    try {
      SchemaVersion.refuseNewer(connection, database);
      Scope.child(
          Scope.Attr.resourceAccessor.name(),
          new ClassLoaderResourceAccessor(DatabaseMigration.class.getClassLoader()),
          () ->
              new CommandScope(UpdateCommandStep.COMMAND_NAME)
                  .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                  .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, CHANGELOG)
                  .execute());
    } finally {
      lock.releaseLock();
    }
  }

  /** Two instances on a fresh database may both create the lock table: the loser tries again. */
  private static void lockCreatingItsTable(LockService lock) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        lock.waitForLock();
        return;
      } catch (LockException e) {
        if (attempt == 3) {
          throw e;
        }
        lock.reset();
        Thread.sleep(200L * attempt);
      }
    }
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
