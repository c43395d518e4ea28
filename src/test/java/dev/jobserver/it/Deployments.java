package dev.jobserver.it;

import java.io.File;
import org.jboss.shrinkwrap.api.ShrinkWrap;
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
    war.delete("/WEB-INF/classes/META-INF/microprofile-config.properties");
    war.addAsResource(new StringAsset(TestTokens.publicKeyPem()), "jwt-test-public.pem");
    war.addAsResource(
        new StringAsset(
            "mp.jwt.verify.publickey.location=jwt-test-public.pem\n"
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
        TestHandlers.ArmPoison.class,
        TestHandlers.Poison.class,
        TestHooks.class);
    return war;
  }
}
