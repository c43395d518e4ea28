package dev.jobserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LauncherTest {

  @Test
  void anExternalDatabaseWithoutAnIdpKeyDoesNotStart() {
    String refusal = Launcher.refusal(null, "jdbc:postgresql://db/jobs", false);
    assertNotNull(refusal);
    assertTrue(refusal.contains("MP_JWT_VERIFY_PUBLICKEY_LOCATION"), refusal);
    assertTrue(refusal.contains("JOBSERVER_DEV_KEY=true"), refusal);
    assertNull(Launcher.refusal(null, "jdbc:postgresql://db/jobs", true), "asked for on purpose");
    assertNull(Launcher.refusal("https://idp/jwks", "jdbc:postgresql://db/jobs", false));
    assertNull(Launcher.refusal(null, null, false), "a laptop: embedded H2, development key");
  }

  @Test
  void payaraListensOnHttpOnly() {
    List<String> cmd =
        Launcher.command(
            Paths.get("/jdk/bin/java"),
            " -Xmx1g  -Dx=y ",
            Paths.get("/data"),
            "file:/data/dev-jwt-public.pem",
            Paths.get("payara-micro.jar"),
            Paths.get("jobserver.war"),
            Paths.get("src/main/payara/pre-boot-commands.txt"),
            "8080");
    assertTrue(cmd.contains("--nohazelcast"), cmd.toString());
    // --nocluster leaves Hazelcast listening on *:6900 and makes Payara ignore --nohazelcast
    assertFalse(cmd.contains("--nocluster"), cmd.toString());
    assertEquals(
        "src/main/payara/pre-boot-commands.txt", cmd.get(cmd.indexOf("--prebootcommandfile") + 1));
    assertEquals("8080", cmd.get(cmd.indexOf("--port") + 1));
    assertEquals(List.of("/jdk/bin/java", "-Xmx1g", "-Dx=y"), cmd.subList(0, 3));
    assertTrue(cmd.contains("-Dmp.jwt.verify.publickey.location=file:/data/dev-jwt-public.pem"));
  }

  @Test
  void theBannerSaysWhereEverythingIs() {
    Path data = Paths.get("/work/data");
    String banner =
        Launcher.banner(
            "8080",
            data,
            data.resolve("logs/server.log"),
            null,
            "eyJtoken",
            false,
            Duration.ofMillis(14_250));
    assertTrue(banner.contains("Jobserver is ready on http://localhost:8080"), banner);
    assertTrue(banner.contains("started in 14.2 s"), banner);
    assertTrue(banner.contains("Console:       http://localhost:8080/#token=eyJtoken\n"), banner);
    assertTrue(banner.contains("API explorer:  http://localhost:8080/api-docs/\n"), banner);
    assertTrue(banner.contains("Data:          /work/data\n"), banner);
    assertTrue(banner.contains("Log:           /work/data/logs/server.log\n"), banner);
    // scripts find the token with grep '^export TOKEN='
    assertTrue(banner.contains("\nexport TOKEN=eyJtoken\n"), banner);
    assertTrue(banner.split("\n").length < 20, "short");

    String idp =
        Launcher.banner(
            "9090",
            data,
            data.resolve("logs/server.log"),
            "jdbc:postgresql://db/jobs?password=secret",
            null,
            true,
            Duration.ofSeconds(9));
    assertTrue(idp.contains("Console:       http://localhost:9090/\n"), idp);
    assertFalse(idp.contains("TOKEN"), idp);
    assertFalse(idp.contains("secret"), "no database password on the terminal");
    assertTrue(idp.contains("Database:      jdbc:postgresql://db/jobs\n"), idp);
  }

  @Test
  void severeLinesAfterBootAreRateLimited() {
    Launcher.SevereLimit limit = new Launcher.SevereLimit(3);
    assertTrue(limit.allow(0));
    assertTrue(limit.allow(1));
    assertTrue(limit.allow(2));
    assertFalse(limit.allow(3));
    assertTrue(limit.allow(60_000));
  }

  @Test
  void barePathsBecomeFileUrls() {
    assertEquals("https://idp.example/jwks", Launcher.asUrl("https://idp.example/jwks"));
    assertEquals("file:/etc/key.pem", Launcher.asUrl("file:/etc/key.pem"));
    assertEquals("file:///etc/key.pem", Launcher.asUrl("/etc/key.pem"));
  }
}
