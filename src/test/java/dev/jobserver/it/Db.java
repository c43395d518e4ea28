package dev.jobserver.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Direct access to the server's database, to check (and set up) what the API cannot show. */
public final class Db {
  private Db() {}

  public static Connection connect() throws Exception {
    H2TestServer.ensureStarted();
    String url = System.getenv("JOBSERVER_DB_URL");
    String user = System.getenv("JOBSERVER_DB_USER");
    String password = System.getenv("JOBSERVER_DB_PASSWORD");
    if (url.startsWith("jdbc:h2:")) {
      return DriverManager.getConnection(
          url, user == null || user.isEmpty() ? "sa" : user, password == null ? "" : password);
    }
    return DriverManager.getConnection(
        url, user, password == null || password.isEmpty() ? null : password);
  }

  /**
   * Brings the schema up to date, as the server does at startup (for tests that start before it).
   */
  public static void migrate() {
    try (Connection c = connect()) {
      dev.jobserver.database.DatabaseMigration.update(c);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static List<Map<String, Object>> query(String sql, Object... params) {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
            Object value = rs.getObject(i);
            if (value instanceof java.sql.Clob clob) {
              value = clob.getSubString(1, (int) clob.length());
            }
            row.put(rs.getMetaData().getColumnLabel(i).toLowerCase(), value);
          }
          rows.add(row);
        }
      }
      return rows;
    } catch (Exception e) {
      throw new IllegalStateException(sql + ": " + e, e);
    }
  }

  public static int update(String sql, Object... params) {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      return ps.executeUpdate();
    } catch (Exception e) {
      throw new IllegalStateException(sql + ": " + e, e);
    }
  }

  /** The status sequence of a job's events, oldest first, e.g. [null>PENDING, PENDING>RUNNING]. */
  public static List<String> transitions(String jobId) {
    List<String> out = new ArrayList<>();
    for (Map<String, Object> row :
        query("SELECT old_status, new_status FROM job_event WHERE job_id = ? ORDER BY id", jobId)) {
      out.add(row.get("old_status") + ">" + row.get("new_status"));
    }
    return out;
  }
}
