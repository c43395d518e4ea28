package dev.jobserver.api.jobserver;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.security.SingleSignOn;
import jakarta.annotation.security.PermitAll;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirementsSet;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * What a sign-in page needs before it has a token: where the IdP is (the accepted issuer, whose
 * discovery document is {@code <issuer>/.well-known/openid-configuration}) and the console's public
 * client id there. Nothing in it is secret: both are in every token the IdP issues.
 */
@Path("jobserver/v1/auth")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "sign-in")
public class AuthConfigResource {

  @GET
  @PermitAll
  @SecurityRequirementsSet({}) // no token: the console asks this before it has one
  @Operation(
      operationId = "getAuthConfig",
      summary = "Single sign-on settings",
      description =
          "The issuer tokens must come from (mp.jwt.verify.issuer; an OpenID Connect IdP publishes"
              + " its discovery document under it) and the console's public client id at the IdP"
              + " (JOBSERVER_OIDC_CLIENT_ID), or null when the console offers no SSO sign-in,"
              + " and the scopes it asks for besides openid and profile (JOBSERVER_OIDC_SCOPE),"
              + " or null."
              + " Needs no token.")
  @APIResponse(
      responseCode = "200",
      description = "The settings",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(ref = "AuthConfig"),
              examples =
                  @ExampleObject(
                      name = "Keycloak",
                      value =
                          "{\"issuer\":\"https://sso.example.com/realms/corp\","
                              + "\"client_id\":\"jobserver-console\",\"scope\":null}")))
  public Response get() {
    SingleSignOn sso = SingleSignOn.instance();
    JsonObjectBuilder body = JSON.createObjectBuilder();
    if (sso.issuer() == null) {
      body.addNull("issuer");
    } else {
      body.add("issuer", sso.issuer());
    }
    if (sso.clientId() == null) {
      body.addNull("client_id");
    } else {
      body.add("client_id", sso.clientId());
    }
    if (sso.scope() == null) {
      body.addNull("scope");
    } else {
      body.add("scope", sso.scope());
    }
    return Response.ok(body.build().toString(), MediaType.APPLICATION_JSON).build();
  }
}
