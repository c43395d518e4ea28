package dev.jobserver.database;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import liquibase.Scope;
import liquibase.changelog.ChangeLogParameters;
import liquibase.changelog.ChangeSet;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.database.Database;
import liquibase.parser.ChangeLogParserFactory;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.resource.ResourceAccessor;

/**
 * Refuses a database that is newer than this WAR: one whose {@code DATABASECHANGELOG} records a
 * change set this WAR's changelog does not have (a newer Jobserver migrated it). Running on it
 * would half-work against a schema this code does not know, so the deployment fails instead, naming
 * what is newer.
 */
final class SchemaVersion {

  private SchemaVersion() {}

  /** A change set as Liquibase records it: its file (logical path), id and author. */
  record Applied(String file, String id, String author) {
    String key() {
      return id + "::" + author;
    }

    @Override
    public String toString() {
      return file + "::" + id + "::" + author;
    }
  }

  /**
   * The decision: null when every applied change set is one this WAR knows, else the message that
   * fails the deployment. {@code known} holds "id::author" of the WAR's change sets.
   */
  static String newerThanWar(List<Applied> applied, Set<String> known) {
    List<Applied> unknown = new ArrayList<>();
    for (Applied a : applied) {
      if (!known.contains(a.key())) {
        unknown.add(a);
      }
    }
    if (unknown.isEmpty()) {
      return null;
    }
    return "The database is newer than this Jobserver: its DATABASECHANGELOG records "
        + unknown.size()
        + " change set(s) this WAR does not have: "
        + unknown
        + ". A newer Jobserver migrated it; deploy that version (or a later one), or restore a"
        + " backup taken before that migration. Nothing was changed.";
  }

  /** Throws, naming what is newer, when the database is newer than this WAR. */
  static void refuseNewer(Connection connection, Database database) throws Exception {
    List<Applied> applied = applied(connection);
    if (applied.isEmpty()) {
      return;
    }
    String refusal = newerThanWar(applied, known(database));
    if (refusal != null) {
      throw new IllegalStateException(refusal);
    }
  }

  /** "id::author" of every change set of the WAR's changelog. */
  static Set<String> known(Database database) throws Exception {
    ResourceAccessor accessor =
        new ClassLoaderResourceAccessor(SchemaVersion.class.getClassLoader());
    return Scope.child(
        Map.of(Scope.Attr.resourceAccessor.name(), accessor),
        () -> {
          DatabaseChangeLog log =
              ChangeLogParserFactory.getInstance()
                  .getParser(DatabaseMigration.CHANGELOG, accessor)
                  .parse(DatabaseMigration.CHANGELOG, new ChangeLogParameters(), accessor);
          Set<String> keys = new LinkedHashSet<>();
          for (ChangeSet cs : log.getChangeSets()) {
            keys.add(cs.getId() + "::" + cs.getAuthor());
          }
          return keys;
        });
  }

  /** The change sets recorded in the database; none when it was never migrated. */
  static List<Applied> applied(Connection connection) throws Exception {
    List<Applied> out = new ArrayList<>();
    if (!hasChangeLogTable(connection)) {
      return out;
    }
    try (Statement st = connection.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT FILENAME, ID, AUTHOR FROM DATABASECHANGELOG ORDER BY ORDEREXECUTED")) {
      while (rs.next()) {
        out.add(new Applied(rs.getString(1), rs.getString(2), rs.getString(3)));
      }
    }
    return out;
  }

  private static boolean hasChangeLogTable(Connection connection) throws Exception {
    DatabaseMetaData meta = connection.getMetaData();
    try (ResultSet rs = meta.getTables(null, connection.getSchema(), null, null)) {
      while (rs.next()) {
        if ("databasechangelog".equalsIgnoreCase(rs.getString("TABLE_NAME"))) {
          return true;
        }
      }
    }
    return false;
  }
}
