package dev.jobserver.it;

import org.h2.tools.Server;

/**
 * On H2 the test JVM serves the database over TCP for the whole run, and every Payara Micro it
 * starts is a client: a server that is still stopping after its class (Arquillian's undeploy only
 * sends SIGTERM) then never holds the file another one needs.
 */
final class H2TestServer {
  private static Server server;

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
    } catch (Exception e) {
      throw new IllegalStateException("Cannot start the tests' H2 server", e);
    }
  }
}
