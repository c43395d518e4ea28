package dev.jobserver.api.common;

import dev.jobserver.job.StoreException;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import java.time.Instant;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Payara logs every request it refuses for a malformed or forged bearer token (and every request
 * URI its decoder cannot read, such as {@code %zz}) with a full stack trace: about 55 lines per
 * request, so a loop of bad requests fills the disk. This condenses such records to one line each
 * (what was wrong, no stack), at most {@value #LINES_PER_MINUTE} a minute; the rest are counted and
 * the count is logged with the next line that goes out. The same rate holds for the tokens that
 * this application refuses itself against an IdP's keys ({@link #TOKEN_HANDLER}).
 *
 * <p>The same for Payara's connection pool while the database cannot be reached: every failed
 * attempt to get or make a connection (each request, each engine loop's retry) is logged by up to
 * four of its loggers, each record with a stack trace of some 150 lines. They share one condensed
 * line, at most {@value #POOL_LINES_PER_MINUTE} a minute (README, Operating it); and the EJB
 * container's stack of each request that failed for it, at most {@value #LINES_PER_MINUTE}.
 */
@WebListener
public class RefusedRequestLog implements ServletContextListener {

  static final String JWT_STORE =
      "fish.payara.microprofile.jwtauth.eesecurity.SignedJWTIdentityStore";
  static final String WEB_CORE = "jakarta.enterprise.web.core";

  /**
   * Refuses tokens itself when an IdP's keys are used (JOBSERVER_OIDC_*): one line each already.
   */
  static final String TOKEN_HANDLER = "dev.jobserver.security.TokenIdentityStoreHandler";

  static final String TOKEN_REFUSED = "Bearer token refused";
  static final int LINES_PER_MINUTE = 20;
  static final int POOL_LINES_PER_MINUTE = 6;

  /** The loggers of Payara's JDBC pool that report each failed connection attempt. */
  static final List<String> POOL =
      List.of(
          "javax.enterprise.resource.resourceadapter.com.sun.enterprise.resource.allocator",
          "javax.enterprise.resource.resourceadapter.com.sun.enterprise.resource.pool",
          "javax.enterprise.resource.resourceadapter.com.sun.enterprise.connectors",
          "javax.enterprise.resource.resourceadapter.com.sun.gjc.spi");

  private static final List<Logger> POOL_LOGGERS = POOL.stream().map(Logger::getLogger).toList();

  /** Logs each system exception of an EJB with its stack (JPA's, when the database is down). */
  static final String EJB_CONTAINER = "jakarta.enterprise.ejb.container";

  private static final Logger EJB_CONTAINER_LOGGER = Logger.getLogger(EJB_CONTAINER);

  // strong references: the log manager holds loggers weakly, and a logger made anew would lose
  // the filter
  private static final Logger JWT_STORE_LOGGER = Logger.getLogger(JWT_STORE);
  private static final Logger WEB_CORE_LOGGER = Logger.getLogger(WEB_CORE);
  private static final Logger TOKEN_HANDLER_LOGGER = Logger.getLogger(TOKEN_HANDLER);

  @Override
  public void contextInitialized(ServletContextEvent event) {
    install(JWT_STORE_LOGGER, TOKEN_REFUSED, r -> r.getThrown() != null, Level.INFO);
    install(
        TOKEN_HANDLER_LOGGER,
        TOKEN_REFUSED,
        r -> String.valueOf(r.getMessage()).startsWith(TOKEN_REFUSED),
        Level.INFO);
    // Payara says SEVERE, but it is the client's request that is wrong, not the server
    install(WEB_CORE_LOGGER, "Request refused", RefusedRequestLog::isUnreadableUri, Level.WARNING);
    install(
        EJB_CONTAINER_LOGGER,
        "An EJB call failed: the database is unavailable or busy",
        r ->
            r.getThrown() != null
                && (StoreException.isUnavailable(r.getThrown())
                    || StoreException.isBusy(r.getThrown())),
        Level.WARNING);
    OneLine pool =
        new OneLine(
            null,
            "Database connection failed (Payara's pool; README, Operating it)",
            r -> r.getLevel().intValue() >= Level.WARNING.intValue(),
            Level.WARNING,
            POOL_LINES_PER_MINUTE,
            System::currentTimeMillis);
    for (Logger logger : POOL_LOGGERS) {
      if (logger.getFilter() == null || logger.getFilter() instanceof OneLine) {
        logger.setFilter(pool);
      }
    }
  }

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    // the filters are of this application's class loader: take them off the server's loggers
    for (Logger logger :
        List.of(JWT_STORE_LOGGER, TOKEN_HANDLER_LOGGER, WEB_CORE_LOGGER, EJB_CONTAINER_LOGGER)) {
      if (logger.getFilter() instanceof OneLine mine) {
        logger.setFilter(mine.previous);
      }
    }
    for (Logger logger : POOL_LOGGERS) {
      if (logger.getFilter() instanceof OneLine) {
        logger.setFilter(null);
      }
    }
  }

  static void install(Logger logger, String label, Predicate<LogRecord> condensed, Level level) {
    Filter previous = logger.getFilter();
    if (previous instanceof OneLine mine) {
      previous = mine.previous; // deployed again in the same server
    }
    logger.setFilter(
        new OneLine(
            previous, label, condensed, level, LINES_PER_MINUTE, System::currentTimeMillis));
  }

  static boolean isUnreadableUri(LogRecord r) {
    if (!(r.getThrown() instanceof IllegalArgumentException e)) {
      return false;
    }
    for (StackTraceElement frame : e.getStackTrace()) {
      if (frame.getClassName().endsWith("URLDecoder")
          || frame.getClassName().endsWith("RequestURIDecoder")) {
        return true;
      }
    }
    return false;
  }

  /** Rewrites the records it condenses to one line, and drops them past the rate. */
  static final class OneLine implements Filter {
    final Filter previous;
    private final String label;
    private final Predicate<LogRecord> condensed;
    private final Level level;
    private final int perMinute;
    private final LongSupplier clock;
    private long windowStart = Long.MIN_VALUE;
    private int inWindow;
    private long suppressed;
    private long suppressedSince;

    OneLine(
        Filter previous,
        String label,
        Predicate<LogRecord> condensed,
        Level level,
        int perMinute,
        LongSupplier clock) {
      this.previous = previous;
      this.label = label;
      this.condensed = condensed;
      this.level = level;
      this.perMinute = perMinute;
      this.clock = clock;
    }

    @Override
    public boolean isLoggable(LogRecord r) {
      if (previous != null && !previous.isLoggable(r)) {
        return false;
      }
      if (!condensed.test(r)) {
        return true;
      }
      String note = "";
      synchronized (this) {
        long now = clock.getAsLong();
        if (windowStart == Long.MIN_VALUE || now - windowStart >= 60_000) {
          windowStart = now;
          inWindow = 0;
        }
        if (++inWindow > perMinute) {
          if (suppressed++ == 0) {
            suppressedSince = now;
          }
          return false;
        }
        if (suppressed > 0) {
          note =
              " ("
                  + suppressed
                  + " more like it not logged since "
                  + Instant.ofEpochMilli(suppressedSince)
                  + ")";
          suppressed = 0;
        }
      }
      String why =
          r.getThrown() != null ? cause(r.getThrown()) : oneLine(MESSAGES.formatMessage(r));
      r.setMessage((why.startsWith(label) ? why : label + ": " + why) + note);
      r.setParameters(null);
      r.setResourceBundle(null);
      r.setResourceBundleName(null);
      r.setThrown(null);
      r.setLevel(level);
      return true;
    }

    /** The innermost message, on one line and short: it may carry what the client sent. */
    static String cause(Throwable thrown) {
      String message = null;
      for (Throwable t = thrown; t != null && t != t.getCause(); t = t.getCause()) {
        if (t.getMessage() != null) {
          message = t.getClass().getSimpleName() + ": " + t.getMessage();
        }
      }
      if (message == null) {
        return thrown == null ? "(no detail)" : thrown.getClass().getName();
      }
      return oneLine(message);
    }

    private static final java.util.logging.Formatter MESSAGES =
        new java.util.logging.SimpleFormatter();

    static String oneLine(String message) {
      String oneLine = String.valueOf(message).replaceAll("\\p{Cntrl}", " ");
      return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "...";
    }
  }
}
