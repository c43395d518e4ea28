package dev.jobserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Payara Micro's console output, as captured from real boots (shortened). */
class ServerOutputTest {

  private static final String INFO =
      "[2026-11-28T09:28:31.328+0000] [] [\u001B[1;92mINFO\u001B[0m] [] [\u001B[1;94mPayaraMicro"
          + "\u001B[0m] [tid: _ThreadID=1 _ThreadName=main] [timeMillis: 1795858111328]"
          + " [levelValue: 800] Deployed 1 archive(s)";
  private static final String READY =
      "[2026-11-28T09:28:31.343+0000] [] [INFO] [] [PayaraMicro] [tid: _ThreadID=1"
          + " _ThreadName=main] [timeMillis: 1795858111343] [levelValue: 800] Payara Micro"
          + " 6.2025.10 (build 42) ready in 8,186 (ms)";
  private static final String[] FAILED_DEPLOYMENT = {
    "[2026-11-28T09:28:31.302+0000] [] [SEVERE] [] [org.eclipse.persistence.session./file:/tmp/"
        + "payaramicro-rt1586910433197635205tmp/applications/jobserver/WEB-INF/classes/_jobserver"
        + ".ejb] [tid: _ThreadID=1 _ThreadName=main] [timeMillis: 1795858111302] [levelValue:"
        + " 1000] [[",
    "  ",
    "Local Exception Stack: ",
    "Exception [EclipseLink-4002] (Eclipse Persistence Services - 4.0.7.payara-p1):"
        + " org.eclipse.persistence.exceptions.DatabaseException",
    "Internal Exception: java.sql.SQLException: Error in allocating a connection. Cause:"
        + " Connection to 127.0.0.1:1 refused.",
    "Error Code: 0",
    "\tat org.eclipse.persistence.exceptions.DatabaseException.sqlException(DatabaseException"
        + ".java:319)",
    "Caused by: java.sql.SQLException: Error in allocating a connection.",
    "\tat com.sun.gjc.spi.base.AbstractDataSource.getConnection(AbstractDataSource.java:123)",
    "Caused by: java.net.ConnectException: Connection refused",
    "\t... 80 more",
    "]]",
    "",
    "[2026-11-28T09:28:31.306+0000] [] [WARNING] [] [jakarta.enterprise.web.util] [tid:"
        + " _ThreadID=1 _ThreadName=main] [timeMillis: 1795858111306] [levelValue: 900] The web"
        + " application [unknown] registered the JDBC driver",
    "",
    INFO,
    "",
    READY
  };

  private static List<String> feed(ServerOutput out, String... lines) {
    List<String> fed = new ArrayList<>();
    for (String l : lines) {
      String plain = ServerOutput.plain(l);
      fed.add(plain);
      out.accept(plain);
    }
    return fed;
  }

  @Test
  void colourCodesAreTakenOut() {
    assertEquals(
        "[2026-11-28T09:28:31.328+0000] [] [INFO] [] [PayaraMicro] [tid: _ThreadID=1"
            + " _ThreadName=main] [timeMillis: 1795858111328] [levelValue: 800] Deployed 1"
            + " archive(s)",
        ServerOutput.plain(INFO));
  }

  @Test
  void aFailedDeploymentIsReportedWithItsCause() {
    List<String> severe = new ArrayList<>();
    ServerOutput out = new ServerOutput(severe::add);
    feed(out, FAILED_DEPLOYMENT);
    assertEquals(1, severe.size(), severe.toString());
    String s = severe.get(0);
    assertTrue(
        s.startsWith(
            "Exception [EclipseLink-4002] (Eclipse Persistence Services - 4.0.7.payara-p1):"
                + " org.eclipse.persistence.exceptions.DatabaseException  [org.eclipse"),
        s);
    assertTrue(s.contains("\n    Internal Exception: java.sql.SQLException"), s);
    assertTrue(s.endsWith("\n    cause: java.net.ConnectException: Connection refused"), s);
    assertFalse(s.contains("\tat "), "no stack frames");
    assertTrue(out.ready(), "Payara says ready even so: the launcher must also ask the app");
  }

  @Test
  void aOneLineSevereIsReportedAtOnce() {
    List<String> severe = new ArrayList<>();
    ServerOutput out = new ServerOutput(severe::add);
    feed(
        out,
        "[2026-11-28T09:28:31.306+0000] [] [SEVERE] [] [dev.jobserver.security.SecurityStartup]"
            + " [tid: _ThreadID=1 _ThreadName=main] [timeMillis: 1] [levelValue: 1000] Jobserver"
            + " cannot start: no key");
    assertEquals(
        List.of("Jobserver cannot start: no key  [dev.jobserver.security.SecurityStartup]"),
        severe);
    assertFalse(out.ready());
  }

  @Test
  void theExceptionLoggedWithTheMessageIsShown() {
    List<String> severe = new ArrayList<>();
    ServerOutput out = new ServerOutput(severe::add);
    feed(
        out,
        "[2026-11-28T10:00:18.842+0000] [] [SEVERE] [NCLS-CORE-00019]"
            + " [javax.enterprise.system.core] [tid: _ThreadID=1 _ThreadName=main] [timeMillis:"
            + " 1795860018842] [levelValue: 1000] [[",
        "  Shutting down server due to startup exception",
        "java.net.BindException: Address already in use",
        "\tat java.base/sun.nio.ch.Net.bind0(Native Method)",
        "]]");
    assertEquals(
        List.of(
            "Shutting down server due to startup exception  [javax.enterprise.system.core]\n"
                + "    java.net.BindException: Address already in use"),
        severe);
  }

  @Test
  void recordsInTheJvmsSimpleFormatCountToo() {
    List<String> severe = new ArrayList<>();
    ServerOutput out = new ServerOutput(severe::add);
    feed(
        out,
        "Nov 28, 2026 9:26:35 AM fish.payara.micro.impl.PayaraMicroImpl main",
        "SEVERE: Port 8080 is in use",
        "java.net.BindException: Address already in use",
        "\tat sun.nio.ch.Net.bind0(Native Method)");
    out.finish();
    assertEquals(
        List.of("Port 8080 is in use\n    java.net.BindException: Address already in use"), severe);
  }
}
