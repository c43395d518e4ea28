package dev.jobserver.store;

import dev.jobserver.database.DatabaseMigration;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A fresh database with the Liquibase schema for a store test: in-memory H2, or with {@code mvn
 * verify -Ppostgres} a fresh schema in the PostgreSQL test database (dropped by {@link #close}).
 */
public final class TestDatabase implements AutoCloseable {

  public final DataSource ds;
  private final String pgSchema;

  public TestDatabase() {
    String url = System.getProperty("it.db.url", "");
    try {
      if (url.startsWith("jdbc:postgresql:")) {
        pgSchema = "t" + UUID.randomUUID().toString().replace("-", "");
        PGSimpleDataSource pg = new PGSimpleDataSource();
        pg.setURL(url);
        pg.setUser(System.getProperty("it.db.user", "postgres"));
        try (Connection c = pg.getConnection()) {
          c.createStatement().execute("CREATE SCHEMA " + pgSchema);
        }
        pg.setCurrentSchema(pgSchema);
        ds = pg;
      } else {
        pgSchema = null;
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:t" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
        ds = h2;
      }
      try (Connection c = ds.getConnection()) {
        DatabaseMigration.update(c);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public boolean isPostgres() {
    return pgSchema != null;
  }

  /** Rows of a query, each as "col1|col2|...". */
  public List<String> rows(String sql, Object... params) {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          StringBuilder b = new StringBuilder();
          for (int i = 1; i <= n; i++) {
            b.append(i > 1 ? "|" : "").append(rs.getString(i));
          }
          out.add(b.toString());
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(sql, e);
    }
    return out;
  }

  public String one(String sql, Object... params) {
    List<String> rows = rows(sql, params);
    return rows.isEmpty() ? null : rows.get(0);
  }

  /** job_count as kept by the store, and as counted in the table: equal when nothing drifted. */
  public Map<String, String>[] counts() {
    Map<String, String> kept = new TreeMap<>();
    Map<String, String> actual = new TreeMap<>();
    for (String r :
        rows(
            "SELECT type, status, SUM(n) FROM job_count GROUP BY type, status HAVING SUM(n) <> 0")) {
      String[] p = r.split("\\|");
      kept.put(p[0] + "/" + p[1], p[2]);
    }
    for (String r : rows("SELECT type, status, COUNT(*) FROM job GROUP BY type, status")) {
      String[] p = r.split("\\|");
      actual.put(p[0] + "/" + p[1], p[2]);
    }
    @SuppressWarnings("unchecked")
    Map<String, String>[] both = new Map[] {actual, kept};
    return both;
  }

  @Override
  public void close() throws Exception {
    if (pgSchema != null) {
      try (Connection c = ds.getConnection()) {
        c.createStatement().execute("DROP SCHEMA " + pgSchema + " CASCADE");
      }
    }
  }
}
