package dev.jobserver.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jobserver.database.DatabaseSettings;
import dev.jobserver.engine.EngineSettings;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SettingsTest {

  @AfterEach
  void back() {
    Settings.reset();
    System.clearProperty("jobserver.settings.test");
  }

  private static void configured(Map<String, String> byDottedName) {
    Settings.useForTests(byDottedName::get);
  }

  @Test
  void theMicroProfileConfigNameIsTheEnvironmentNameDotted() {
    assertEquals("jobserver.workers", Settings.key("JOBSERVER_WORKERS"));
    assertEquals("jobserver.db.connect.timeout.s", Settings.key("JOBSERVER_DB_CONNECT_TIMEOUT_S"));
    assertEquals("mp.jwt.verify.issuer", Settings.key("MP_JWT_VERIFY_ISSUER"));
    assertEquals("mp.jwt.verify.issuer", Settings.key("mp.jwt.verify.issuer"));
    assertEquals("JOBSERVER_WORKERS [jobserver.workers]", Settings.describe("JOBSERVER_WORKERS"));
  }

  @Test
  void valuesAreReadByTheirDottedNameTrimmedAndBlankIsAbsent() {
    configured(Map.of("jobserver.instance.id", "  node-a ", "jobserver.db.user", "  "));
    assertEquals("node-a", Settings.get("JOBSERVER_INSTANCE_ID"));
    assertNull(Settings.get("JOBSERVER_DB_USER"));
    assertEquals("fallback", Settings.get("JOBSERVER_DB_USER", "fallback"));
    assertEquals("node-a", DatabaseSettings.setting("JOBSERVER_INSTANCE_ID", null));
  }

  @Test
  void theEngineReadsItsKnobsThroughTheSettings() {
    configured(Map.of("jobserver.workers", "3", "jobserver.lease.ms", "60000"));
    EngineSettings settings = EngineSettings.fromEnvironment();
    assertEquals(3, settings.workers());
    assertEquals(60_000, settings.leaseMillis());
    assertEquals(200, settings.tickMillis()); // not set: the default
  }

  @Test
  void aMalformedNumberIsRefusedNamingTheSettingBothWays() {
    configured(Map.of("jobserver.workers", "many"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, EngineSettings::fromEnvironment);
    assertEquals(
        "JOBSERVER_WORKERS [jobserver.workers] must be a whole number from 1 to 256, got 'many'",
        e.getMessage());

    configured(Map.of("jobserver.workers", "0"));
    assertThrows(IllegalArgumentException.class, EngineSettings::fromEnvironment);

    configured(Map.of("jobserver.db.socket.timeout.s", "3s"));
    e = assertThrows(IllegalArgumentException.class, DatabaseSettings::socketTimeoutSeconds);
    assertEquals(
        "JOBSERVER_DB_SOCKET_TIMEOUT_S [jobserver.db.socket.timeout.s] must be a whole number from"
            + " 0 to 3600, got '3s'",
        e.getMessage());
  }

  @Test
  void theDatabaseUrlComesFromTheSettings() {
    configured(Map.of("jobserver.db.url", "jdbc:postgresql://db:5432/jobs"));
    assertEquals("jdbc:postgresql://db:5432/jobs", DatabaseSettings.url());
    assertNull(DatabaseSettings.user());

    configured(Map.of("jobserver.data.dir", "/srv/jobserver"));
    assertEquals(
        "jdbc:h2:file:/srv/jobserver/jobserver;LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE",
        DatabaseSettings.url());
    assertEquals("sa", DatabaseSettings.user());
  }

  @Test
  void outsideAServerASystemPropertyWinsOverTheEnvironment() {
    // no MicroProfile Config implementation on the test class path, as in the launcher
    Settings.reset();
    System.setProperty("jobserver.settings.test", "from-property");
    assertEquals("from-property", Settings.get("JOBSERVER_SETTINGS_TEST"));
    String path = System.getenv("PATH");
    assertEquals(path == null ? null : path.trim(), Settings.get("PATH"));
  }
}
