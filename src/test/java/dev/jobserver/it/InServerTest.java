package dev.jobserver.it;

import java.net.URL;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** An in-server test class: one Payara Micro with the test WAR, driven over HTTP as a client. */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
abstract class InServerTest {

  @Deployment(testable = false)
  static WebArchive deployment() {
    return Deployments.war();
  }

  @ArquillianResource protected URL base;
  protected Http http;

  @BeforeEach
  void connect() {
    http = new Http(base.toString());
  }
}
