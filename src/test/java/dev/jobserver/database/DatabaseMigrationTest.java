package dev.jobserver.database;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import liquibase.Scope;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.DirectoryResourceAccessor;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Schema migration at deployment (issue 21, point 5): instances deploying at once migrate once, a
 * schema a DBA applied with {@code mvn liquibase:update} is accepted, a database newer than the WAR
 * is refused naming what is newer.
 */
class DatabaseMigrationTest {

  private static DataSource freshH2() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:m" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
    return h2;
  }

  private static int count(DataSource ds, String sql) throws Exception {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** The change sets of the WAR's changelog that apply to this database (its dbms filter). */
  private static int changeSetsInWar(DataSource ds) throws Exception {
    try (Connection c = ds.getConnection()) {
      var database =
          DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
      var accessor =
          new liquibase.resource.ClassLoaderResourceAccessor(
              DatabaseMigrationTest.class.getClassLoader());
      return Scope.child(
          java.util.Map.of(Scope.Attr.resourceAccessor.name(), accessor),
          () -> {
            var log =
                liquibase.parser.ChangeLogParserFactory.getInstance()
                    .getParser(DatabaseMigration.CHANGELOG, accessor)
                    .parse(
                        DatabaseMigration.CHANGELOG,
                        new liquibase.changelog.ChangeLogParameters(),
                        accessor);
            int n = 0;
            for (var cs : log.getChangeSets()) {
              if (liquibase.database.DatabaseList.definitionMatches(
                  cs.getDbmsSet(), database, true)) {
                n++;
              }
            }
            return n;
          });
    }
  }

  /** Two instances deploying at once on one fresh database: both succeed, each change set once. */
  private static void migrateTwiceAtOnce(DataSource ds) throws Exception {
    CyclicBarrier together = new CyclicBarrier(2);
    ExecutorService two = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        runs.add(
            two.submit(
                () -> {
                  try (Connection c = ds.getConnection()) {
                    together.await(10, TimeUnit.SECONDS);
                    DatabaseMigration.update(c);
                  }
                  return null;
                }));
      }
      for (Future<?> run : runs) {
        run.get(120, TimeUnit.SECONDS); // throws if either migration failed
      }
    } finally {
      two.shutdownNow();
    }
    int applied = count(ds, "SELECT COUNT(*) FROM DATABASECHANGELOG");
    // all but the other database's variants of an index (dbms=...)
    assertEquals(changeSetsInWar(ds), applied, "every change set for this database was applied");
    assertEquals(applied, count(ds, "SELECT COUNT(DISTINCT ID) FROM DATABASECHANGELOG"), "once");
    try (Connection c = ds.getConnection()) {
      DatabaseMigration.update(c); // a third instance, later: nothing left to do
    }
    assertEquals(applied, count(ds, "SELECT COUNT(*) FROM DATABASECHANGELOG"));
    assertEquals(0, count(ds, "SELECT COUNT(*) FROM job"), "the schema is there");
  }

  @Test
  void twoInstancesMigratingOneFreshH2DatabaseAtOnceApplyTheChangelogOnce() throws Exception {
    migrateTwiceAtOnce(freshH2());
  }

  @Test
  void twoInstancesMigratingOneFreshPostgresDatabaseAtOnceApplyTheChangelogOnce() throws Exception {
    String db = "appserver_mig_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    PGSimpleDataSource admin = new PGSimpleDataSource();
    admin.setURL("jdbc:postgresql://127.0.0.1:5432/postgres");
    admin.setUser("postgres");
    admin.setConnectTimeout(3);
    try (Connection c = admin.getConnection()) {
      c.createStatement().execute("CREATE DATABASE " + db);
    } catch (Exception unreachable) {
      Assumptions.abort("no PostgreSQL on 127.0.0.1:5432: " + unreachable.getMessage());
    }
    try {
      PGSimpleDataSource pg = new PGSimpleDataSource();
      pg.setURL("jdbc:postgresql://127.0.0.1:5432/" + db);
      pg.setUser("postgres");
      migrateTwiceAtOnce(pg);
    } finally {
      try (Connection c = admin.getConnection()) {
        c.createStatement().execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      }
    }
  }

  @Test
  void aSchemaTheDbaAppliedWithTheMavenPluginIsAccepted() throws Exception {
    DataSource ds = freshH2();
    // what `mvn liquibase:update` does: the pom's changeLogDirectory (liquibase/) and file
    try (Connection c = ds.getConnection()) {
      var database =
          DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
      Scope.child(
          Scope.Attr.resourceAccessor.name(),
          new DirectoryResourceAccessor(Paths.get("liquibase")),
          () ->
              new CommandScope(UpdateCommandStep.COMMAND_NAME)
                  .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                  .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, "db.changelog-master.xml")
                  .execute());
    }
    int byDba = count(ds, "SELECT COUNT(*) FROM DATABASECHANGELOG");
    assertEquals(changeSetsInWar(ds), byDba, "the DBA applied every change set for this database");
    try (Connection c = ds.getConnection()) {
      DatabaseMigration.update(c); // the deployment: nothing left to do, no error
    }
    assertEquals(byDba, count(ds, "SELECT COUNT(*) FROM DATABASECHANGELOG"), "nothing re-applied");
  }

  @Test
  void aDatabaseNewerThanTheWarIsRefusedNamingWhatIsNewer() throws Exception {
    DataSource ds = freshH2();
    try (Connection c = ds.getConnection()) {
      DatabaseMigration.update(c);
    }
    try (Connection c = ds.getConnection()) { // as a newer Jobserver leaves it
      c.createStatement()
          .execute(
              "INSERT INTO DATABASECHANGELOG (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED,"
                  + " EXECTYPE) VALUES ('099-from-the-future', 'jobserver', 'jobserver/099-future',"
                  + " CURRENT_TIMESTAMP, 99, 'EXECUTED')");
    }
    try (Connection c = ds.getConnection()) {
      assertTrue(
          SchemaVersion.applied(c).stream()
              .anyMatch(
                  a ->
                      a.toString().equals("jobserver/099-future::099-from-the-future::jobserver")));
      IllegalStateException refused =
          assertThrows(IllegalStateException.class, () -> DatabaseMigration.update(c));
      assertTrue(
          refused.getMessage().startsWith("The database is newer than this Jobserver"),
          refused.getMessage());
      assertTrue(
          refused.getMessage().contains("jobserver/099-future::099-from-the-future::jobserver"),
          refused.getMessage());
    }
  }

  @Test
  void theDecisionNamesOnlyTheChangeSetsTheWarDoesNotHave() {
    Set<String> known = Set.of("1::a", "2::a");
    assertNull(SchemaVersion.newerThanWar(List.of(), known), "a fresh database");
    assertNull(
        SchemaVersion.newerThanWar(List.of(new SchemaVersion.Applied("f", "1", "a")), known),
        "an older database is migrated, not refused");
    String refusal =
        SchemaVersion.newerThanWar(
            List.of(
                new SchemaVersion.Applied("f", "1", "a"),
                new SchemaVersion.Applied("g", "3", "b"),
                new SchemaVersion.Applied("f", "2", "other-author")),
            known);
    assertTrue(refusal.contains("2 change set(s)"), refusal);
    assertTrue(refusal.contains("g::3::b") && refusal.contains("f::2::other-author"), refusal);
    assertTrue(!refusal.contains("f::1::a"), refusal);
  }

  @Test
  void theDeploymentErrorKeepsTheCauseVisible() {
    Exception wrapped =
        new RuntimeException("wrapper", new java.sql.SQLException("Connection to db:5432 refused"));
    String m = DatabaseMigration.causes(wrapped);
    assertTrue(m.contains("wrapper") && m.contains("Connection to db:5432 refused"), m);
  }

  /**
   * Liquibase leaves its scope in thread locals of the thread that migrates: the migration runs on
   * a thread of its own, so that the server's deploying thread keeps nothing of the application
   * (Payara Server warned of each at undeploy); what fails there reaches the deployment.
   */
  @Test
  void theMigrationRunsOnAThreadOfItsOwnAndItsFailureReachesTheDeployment() throws Exception {
    DataSource ds = freshH2();
    Thread[] ranOn = {null};
    try (Connection c = ds.getConnection()) {
      DatabaseMigration.onThreadOfItsOwn(
          () -> {
            ranOn[0] = Thread.currentThread();
            DatabaseMigration.update(c);
          });
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM job")) {
        assertTrue(rs.next());
      }
    }
    assertTrue(ranOn[0] != null && ranOn[0] != Thread.currentThread());
    assertTrue(!ranOn[0].isAlive(), "the migration's thread has ended");
    Exception refused =
        assertThrows(
            java.sql.SQLException.class,
            () ->
                DatabaseMigration.onThreadOfItsOwn(
                    () -> {
                      throw new java.sql.SQLException("no such database");
                    }));
    assertEquals("no such database", refused.getMessage());
    assertThrows(
        AssertionError.class,
        () ->
            DatabaseMigration.onThreadOfItsOwn(
                () -> {
                  throw new AssertionError("an error, not an exception");
                }));
  }
}
