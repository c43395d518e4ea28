package dev.jobserver.security;

import jakarta.security.enterprise.credential.Credential;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The bearer token in the credential that Payara's MP-JWT mechanism hands to the identity store
 * handler, read by its public {@code getSignedJWT()} method (the class is Payara's own).
 */
final class BearerCredentials {

  private static final Logger LOG = Logger.getLogger(BearerCredentials.class.getName());

  /** For credentials without a token: answers null. */
  private static final MethodHandle NONE =
      MethodHandles.dropArguments(MethodHandles.constant(Object.class, null), 0, Object.class);

  private static final ConcurrentMap<Class<?>, MethodHandle> GETTERS = new ConcurrentHashMap<>();

  private BearerCredentials() {}

  /** The token, or null when the credential carries none. */
  static String tokenOf(Credential credential) {
    if (credential == null) {
      return null;
    }
    MethodHandle getter = GETTERS.computeIfAbsent(credential.getClass(), BearerCredentials::getter);
    try {
      return (String) getter.invoke(credential);
    } catch (Throwable e) {
      return null;
    }
  }

  private static MethodHandle getter(Class<?> type) {
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
