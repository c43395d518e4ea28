package dev.jobserver.it;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.Asset;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/**
 * The WAR under test: the one `mvn package` built, with the test's public key and issuer in place
 * of the development ones, and the test job types (a site's own handlers, dropped into the WAR).
 */
public final class Deployments {
  private Deployments() {}

  public static WebArchive war() {
    H2TestServer.ensureStarted();
    File built = new File(System.getProperty("jobserver.war", "target/jobserver.war"));
    WebArchive war =
        ShrinkWrap.create(ZipImporter.class, "jobserver.war")
            .importFrom(built)
            .as(WebArchive.class);
    // the WAR's own settings (e.g. the OpenAPI filter), then the test's key and issuer: in a
    // properties file the last value of a key wins
    String config = "/WEB-INF/classes/META-INF/microprofile-config.properties";
    String settings = war.contains(config) ? read(war.get(config).getAsset()) : "";
    war.delete(config);
    war.addAsResource(new StringAsset(TestTokens.publicKeyPem()), "jwt-test-public.pem");
    war.addAsResource(
        new StringAsset(
            settings
                + "\nmp.jwt.verify.publickey.location=jwt-test-public.pem\n"
                + "mp.jwt.verify.issuer="
                + TestTokens.ISSUER
                + "\n"),
        "META-INF/microprofile-config.properties");
    war.addClasses(
        TestHandlers.class,
        TestHandlers.Flaky.class,
        TestHandlers.Failing.class,
        TestHandlers.Stubborn.class,
        TestHandlers.Slow.class,
        TestHandlers.Limited.class,
        TestHandlers.Overlap.class,
        TestHandlers.ResultWriter.class,
        TestHandlers.Context.class,
        TestHandlers.ArmPoison.class,
        TestHandlers.Poison.class,
        HeldScheduleFirings.class,
        TestHooks.class);
    return war;
  }

  private static String read(Asset asset) {
    try (InputStream in = asset.openStream()) {
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
