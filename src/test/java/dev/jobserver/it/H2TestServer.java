package dev.jobserver.it;

import java.sql.Connection;
import java.sql.DriverManager;
import org.h2.tools.Server;

/**
 * On H2 the test JVM serves the database over TCP for the whole run, and every Payara Micro it
 * starts is a client: a server that is still stopping after its class (Arquillian's undeploy only
 * sends SIGTERM) then never holds the file another one needs.
 */
final class H2TestServer {
  private static Server server;

  /**
   * A session held for the whole run, so that H2 never closes the database between two classes:
   * without it the database closes when the last server under test stops, and a session opened at
   * that moment meets the close half way (CI saw H2's MVStore assert "175 != 176" on the first
   * statement of a class, and once before a job read 404 after such a close).
   */
  private static Connection keepOpen;

  private H2TestServer() {}

  static synchronized void ensureStarted() {
    String url = System.getenv("JOBSERVER_DB_URL");
    if (server != null || url == null || !url.startsWith("jdbc:h2:tcp:")) {
      return;
    }
    try {
      server =
          Server.createTcpServer(
                  "-tcpPort",
                  System.getProperty("it.h2.port"),
                  "-ifNotExists",
                  "-baseDir",
                  System.getProperty("it.h2.dir"))
              .start();
      String user = System.getenv("JOBSERVER_DB_USER");
      String password = System.getenv("JOBSERVER_DB_PASSWORD");
      keepOpen =
          DriverManager.getConnection(
              url, user == null || user.isEmpty() ? "sa" : user, password == null ? "" : password);
    } catch (Exception e) {
      throw new IllegalStateException("Cannot start the tests' H2 server", e);
    }
  }
}
