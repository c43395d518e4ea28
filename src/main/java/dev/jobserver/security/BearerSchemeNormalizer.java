package dev.jobserver.security;

import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestEvent;
import jakarta.servlet.ServletRequestListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Rewrites {@code Authorization: BEARER <token>} (any letter case of the scheme) to {@code Bearer
 * <token>} before the container authenticates the request. RFC 7235 makes the scheme
 * case-insensitive and the Mattermost JavaScript client sends {@code BEARER}, but Payara's MP-JWT
 * mechanism only recognises {@code Bearer}, and it runs before any servlet filter. A request
 * listener runs before it; the servlet API has no header setter, so this reaches the connector's
 * header table (Payara's web container, Grizzly). If that is not possible, the request is left as
 * it is: each request is tried on its own, so one that fails (a request object of another shape, a
 * header table in an odd state) changes nothing for the next. Nothing else about the token changes:
 * it is validated as any other.
 */
@WebListener
public class BearerSchemeNormalizer implements ServletRequestListener {

  private static final Logger LOG = Logger.getLogger(BearerSchemeNormalizer.class.getName());

  /** Failures are logged in full once, then one line per {@value #QUIET_FAILURES} (the cause). */
  static final int QUIET_FAILURES = 1000;

  private static final AtomicLong failures = new AtomicLong();

  @Override
  public void requestInitialized(ServletRequestEvent event) {
    ServletRequest request = event.getServletRequest();
    if (!(request instanceof HttpServletRequest http)) {
      return;
    }
    String header = http.getHeader("Authorization");
    if (header == null
        || header.startsWith("Bearer ")
        || header.length() < 8
        || !header.regionMatches(true, 0, "bearer ", 0, 7)) {
      return;
    }
    try {
      Object catalinaRequest = field(http, "request");
      Object grizzlyRequest =
          catalinaRequest.getClass().getMethod("getCoyoteRequest").invoke(catalinaRequest);
      Object packet = grizzlyRequest.getClass().getMethod("getRequest").invoke(grizzlyRequest);
      Object headers = method(packet.getClass(), "getHeaders").invoke(packet);
      Object value =
          headers.getClass().getMethod("getValue", String.class).invoke(headers, "Authorization");
      value
          .getClass()
          .getMethod("setString", String.class)
          .invoke(value, "Bearer " + header.substring(7).trim());
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      long n = failures.incrementAndGet();
      if (n == 1) {
        LOG.log(
            Level.WARNING,
            "Cannot normalise the bearer scheme of a request; it goes on as sent (the token"
                + " is refused unless the scheme is 'Bearer' exactly)",
            e);
      } else if (n % QUIET_FAILURES == 0) {
        LOG.warning(
            "Could not normalise the bearer scheme of " + n + " requests so far; last: " + e);
      }
    }
  }

  private static Object field(Object target, String name) throws ReflectiveOperationException {
    for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(target);
      } catch (NoSuchFieldException next) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(name);
  }

  private static Method method(Class<?> type, String name) throws NoSuchMethodException {
    Method m = type.getMethod(name);
    m.setAccessible(true);
    return m;
  }
}
