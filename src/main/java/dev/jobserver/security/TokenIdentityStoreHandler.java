package dev.jobserver.security;

import static dev.jobserver.job.JsonProviders.JSON;
import static jakarta.security.enterprise.identitystore.CredentialValidationResult.INVALID_RESULT;
import static jakarta.security.enterprise.identitystore.CredentialValidationResult.NOT_VALIDATED_RESULT;
import static jakarta.security.enterprise.identitystore.CredentialValidationResult.Status.INVALID;
import static jakarta.security.enterprise.identitystore.CredentialValidationResult.Status.VALID;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.security.enterprise.CallerPrincipal;
import jakarta.security.enterprise.credential.Credential;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStore;
import jakarta.security.enterprise.identitystore.IdentityStore.ValidationType;
import jakarta.security.enterprise.identitystore.IdentityStoreHandler;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How a bearer token becomes a caller with roles, in place of the container's default identity
 * store handler (Jakarta Security lets an application supply its own; Payara's MP-JWT mechanism
 * asks whichever handler CDI resolves).
 *
 * <ol>
 *   <li>A token verified before, within its limits, is answered from {@link VerifiedTokens}, with
 *       the roles computed then.
 *   <li>With an IdP's JWKS URL, {@link JwksTokenVerifier} verifies it; Payara's MP-JWT store is not
 *       asked, because its key cache cannot be told to fetch a rotated key (it holds the keys for
 *       five minutes) and it would still accept a key the IdP withdrew.
 *   <li>Otherwise (PEM or JWKS file, the development key) the identity stores are asked exactly as
 *       the default handler asks them, which means Payara's MP-JWT store.
 * </ol>
 *
 * A valid token's roles are then {@link TokenRoles}: {@code groups} plus {@code
 * JOBSERVER_ROLES_CLAIM}, through {@code JOBSERVER_ROLE_MAP}. They are the groups the container
 * receives, so {@code @RolesAllowed} and {@code isUserInRole} see them, on every path.
 */
@Alternative
@Priority(Interceptor.Priority.APPLICATION)
@ApplicationScoped
public class TokenIdentityStoreHandler implements IdentityStoreHandler {

  private static final Logger LOG = Logger.getLogger(TokenIdentityStoreHandler.class.getName());

  @Inject @Any private Instance<IdentityStore> stores;

  private volatile List<IdentityStore> sortedStores;

  @Override
  public CredentialValidationResult validate(Credential credential) {
    SingleSignOn sso = SingleSignOn.instance();
    String token = BearerCredentials.tokenOf(credential);
    long now = System.currentTimeMillis();
    CredentialValidationResult known = VerifiedTokens.instance().lookup(token, now);
    if (known != null) {
      return known;
    }
    JwksTokenVerifier verifier = sso.verifier();
    if (verifier != null) {
      if (token == null) {
        return NOT_VALIDATED_RESULT;
      }
      try {
        JwksTokenVerifier.Verified verified = verifier.verify(token);
        return withRoles(token, verified.principal(), verified.claims(), sso, now);
      } catch (JwksTokenVerifier.Rejected e) {
        LOG.log(Level.INFO, "Bearer token refused: {0}", e.getMessage());
        return INVALID_RESULT;
      }
    }
    CredentialValidationResult result = validateWithStores(credential);
    if (result.getStatus() == VALID && token != null) {
      JsonObject claims = claimsOf(token);
      if (claims != null) {
        return withRoles(token, result.getCallerPrincipal(), claims, sso, now);
      }
    }
    return result;
  }

  private static CredentialValidationResult withRoles(
      String token, CallerPrincipal principal, JsonObject claims, SingleSignOn sso, long now) {
    CredentialValidationResult result =
        new CredentialValidationResult(principal, sso.roles().of(claims));
    VerifiedTokens.instance()
        .remember(token, result, seconds(claims, "exp"), seconds(claims, "iat"), now);
    return result;
  }

  /** What the default handler does (Jakarta Security 3.0, IdentityStoreHandler). */
  private CredentialValidationResult validateWithStores(Credential credential) {
    List<IdentityStore> all = sortedStores();
    boolean invalid = false;
    for (IdentityStore store : all) {
      if (!store.validationTypes().contains(ValidationType.VALIDATE)) {
        continue;
      }
      CredentialValidationResult result = store.validate(credential);
      if (result.getStatus() == VALID) {
        Set<String> groups = new HashSet<>();
        if (store.validationTypes().contains(ValidationType.PROVIDE_GROUPS)) {
          groups.addAll(result.getCallerGroups());
        }
        for (IdentityStore other : all) {
          if (other.validationTypes().equals(Set.of(ValidationType.PROVIDE_GROUPS))) {
            groups.addAll(other.getCallerGroups(result));
          }
        }
        return new CredentialValidationResult(
            result.getIdentityStoreId(),
            result.getCallerPrincipal(),
            result.getCallerDn(),
            result.getCallerUniqueId(),
            groups);
      }
      invalid |= result.getStatus() == INVALID;
    }
    return invalid ? INVALID_RESULT : NOT_VALIDATED_RESULT;
  }

  private List<IdentityStore> sortedStores() {
    List<IdentityStore> sorted = sortedStores;
    if (sorted == null) {
      sorted = stores.stream().sorted(Comparator.comparingInt(IdentityStore::priority)).toList();
      sortedStores = sorted;
    }
    return sorted;
  }

  /** The claims of a token a store has verified (its payload, the second part). */
  static JsonObject claimsOf(String token) {
    int first = token.indexOf('.');
    int second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (second < 0) {
      return null;
    }
    try {
      String json =
          new String(
              Base64.getUrlDecoder().decode(token.substring(first + 1, second)),
              StandardCharsets.UTF_8);
      try (JsonReader reader = JSON.createReader(new StringReader(json))) {
        return reader.readObject();
      }
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static Long seconds(JsonObject claims, String name) {
    return claims.get(name) instanceof JsonNumber n ? n.longValue() : null;
  }
}
