package dev.jobserver.security;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.security.enterprise.credential.Credential;
import jakarta.security.enterprise.identitystore.CredentialValidationResult;
import jakarta.security.enterprise.identitystore.IdentityStore;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Consulted before Payara's MP-JWT identity store (lower priority value first): answers for a
 * bearer token already verified (see {@link VerifiedTokens}) and otherwise says "not validated", so
 * that Payara's store verifies the token exactly as it would without this class. The token is read
 * from Payara's credential by its public {@code getSignedJWT()} method; on a server whose
 * credential has none, this store never answers.
 */
@ApplicationScoped
public class CachedTokenIdentityStore implements IdentityStore {

  private static final Logger LOG = Logger.getLogger(CachedTokenIdentityStore.class.getName());

  /** For credentials without a token: answers null. */
  private static final MethodHandle NONE =
      MethodHandles.dropArguments(MethodHandles.constant(Object.class, null), 0, Object.class);

  private final ConcurrentMap<Class<?>, MethodHandle> tokenGetters = new ConcurrentHashMap<>();

  @Override
  public CredentialValidationResult validate(Credential credential) {
    String token = tokenOf(credential);
    CredentialValidationResult known =
        VerifiedTokens.instance().lookup(token, System.currentTimeMillis());
    return known != null ? known : CredentialValidationResult.NOT_VALIDATED_RESULT;
  }

  @Override
  public int priority() {
    return 10; // before Payara's SignedJWTIdentityStore (the default, 100)
  }

  private String tokenOf(Credential credential) {
    if (credential == null) {
      return null;
    }
    MethodHandle getter = tokenGetters.computeIfAbsent(credential.getClass(), this::getterOf);
    try {
      return (String) getter.invoke(credential);
    } catch (Throwable e) {
      return null;
    }
  }

  private MethodHandle getterOf(Class<?> type) {
    try {
      return MethodHandles.publicLookup()
          .findVirtual(type, "getSignedJWT", MethodType.methodType(String.class))
          .asType(MethodType.methodType(Object.class, Object.class));
    } catch (ReflectiveOperationException e) {
      LOG.log(Level.FINE, "No bearer token on credentials of type {0}", type.getName());
      return NONE;
    }
  }
}
