package dev.jobserver.api.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class RefusedRequestLogTest {

  /** What Payara's MP-JWT identity store throws for a token that is not a JWT. */
  static final class JWTProcessingException extends Exception {
    JWTProcessingException(Throwable cause) {
      super(cause);
    }
  }

  private static final class Capture extends Handler {
    final List<LogRecord> records = new ArrayList<>();

    @Override
    public void publish(LogRecord r) {
      records.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  private static Capture capture(Logger logger) {
    Capture c = new Capture();
    logger.setUseParentHandlers(false);
    logger.addHandler(c);
    return c;
  }

  private static void refuseToken(Logger logger, String detail) {
    // as SignedJWTIdentityStore does it: INFO, a fixed message, the exception with its stack
    logger.log(
        Level.INFO,
        "Exception trying to parse JWT token.",
        new JWTProcessingException(new ParseException(detail, 0)));
  }

  @Test
  void aRefusedTokenIsOneLineWithoutStackTrace() {
    Logger logger = Logger.getLogger(RefusedRequestLog.JWT_STORE);
    Capture c = capture(logger);
    RefusedRequestLog listener = new RefusedRequestLog();
    listener.contextInitialized(null);
    try {
      refuseToken(logger, "Invalid serialized JWS object: Missing part delimiters\nat x");
      assertEquals(1, c.records.size());
      LogRecord r = c.records.get(0);
      assertNull(r.getThrown(), "no stack trace");
      assertEquals(
          "Bearer token refused: ParseException: Invalid serialized JWS object:"
              + " Missing part delimiters at x",
          r.getMessage());
      assertFalse(r.getMessage().contains("\n"));
      logger.info("an ordinary line");
      assertEquals("an ordinary line", c.records.get(1).getMessage(), "others pass as they are");
    } finally {
      listener.contextDestroyed(null);
      logger.removeHandler(c);
      logger.setUseParentHandlers(true);
    }
    assertNull(logger.getFilter(), "undeploying takes the filter off");
  }

  @Test
  void aLoopOfBadRequestsLogsTwentyLinesAMinuteAndCountsTheRest() {
    Logger logger = Logger.getAnonymousLogger();
    Capture c = capture(logger);
    AtomicLong now = new AtomicLong(1_000_000);
    logger.setFilter(
        new RefusedRequestLog.OneLine(
            null, "Bearer token refused", r -> r.getThrown() != null, Level.INFO, 20, now::get));
    for (int i = 0; i < 1000; i++) {
      refuseToken(logger, "bad " + i);
      now.addAndGet(10);
    }
    assertEquals(20, c.records.size(), "20 lines in the first minute, not 1000 stack traces");
    now.addAndGet(60_000);
    refuseToken(logger, "later");
    assertEquals(21, c.records.size());
    String last = c.records.get(20).getMessage();
    assertTrue(last.startsWith("Bearer token refused: ParseException: later (980 more"), last);
  }

  /**
   * Against an IdP's keys the application refuses tokens itself, one line each: those lines keep to
   * the same rate (before: one INFO line per request, however many).
   */
  @Test
  void tokensRefusedAgainstAnIdpsKeysAreTwentyLinesAMinuteToo() {
    Logger logger =
        Logger.getLogger(dev.jobserver.security.TokenIdentityStoreHandler.class.getName());
    assertEquals(RefusedRequestLog.TOKEN_HANDLER, logger.getName());
    Capture c = capture(logger);
    RefusedRequestLog listener = new RefusedRequestLog();
    listener.contextInitialized(null);
    try {
      for (int i = 0; i < 100; i++) {
        // as TokenIdentityStoreHandler logs a refusal
        logger.log(Level.INFO, "Bearer token refused: {0}", "the signature does not verify\n" + i);
      }
      assertEquals(
          RefusedRequestLog.LINES_PER_MINUTE, c.records.size(), "100 refusals, one minute");
      assertEquals(
          "Bearer token refused: the signature does not verify 0", c.records.get(0).getMessage());
      logger.info("an ordinary line");
      assertEquals("an ordinary line", c.records.get(c.records.size() - 1).getMessage());
    } finally {
      listener.contextDestroyed(null);
      logger.removeHandler(c);
      logger.setUseParentHandlers(true);
    }
    assertNull(logger.getFilter(), "taken off when the application goes");
  }

  @Test
  void anUnreadableRequestUriIsAWarningOfOneLine() {
    Logger logger = Logger.getLogger(RefusedRequestLog.WEB_CORE);
    Capture c = capture(logger);
    RefusedRequestLog listener = new RefusedRequestLog();
    listener.contextInitialized(null);
    try {
      IllegalArgumentException e =
          new IllegalArgumentException(
              "URLDecoder: Illegal hex characters in escape (%) pattern - %zz");
      e.setStackTrace(
          new StackTraceElement[] {
            new StackTraceElement("org.glassfish.grizzly.http.util.URLDecoder", "decode", null, 1)
          });
      logger.log(Level.SEVERE, "An exception or error occurred in the container", e);
      IllegalArgumentException other = new IllegalArgumentException("something else");
      logger.log(Level.SEVERE, "A server error", other);
      assertEquals(2, c.records.size());
      assertEquals(Level.WARNING, c.records.get(0).getLevel());
      assertNull(c.records.get(0).getThrown());
      assertTrue(c.records.get(0).getMessage().startsWith("Request refused: "));
      assertEquals(Level.SEVERE, c.records.get(1).getLevel(), "other errors stay as they are");
      assertSame(other, c.records.get(1).getThrown());
    } finally {
      listener.contextDestroyed(null);
      logger.removeHandler(c);
      logger.setUseParentHandlers(true);
    }
  }

  @Test
  void theConnectionPoolsFailuresWhileTheDatabaseIsDownAreAFewLinesAMinuteWithoutStacks() {
    List<Logger> loggers = RefusedRequestLog.POOL.stream().map(Logger::getLogger).toList();
    List<Capture> captures = loggers.stream().map(RefusedRequestLogTest::capture).toList();
    RefusedRequestLog listener = new RefusedRequestLog();
    listener.contextInitialized(null);
    try {
      java.sql.SQLException refused =
          new java.sql.SQLException("The connection attempt failed.", "08001");
      for (int i = 0; i < 50; i++) {
        for (Logger logger : loggers) { // as Payara's pool does for each failed attempt
          logger.log(
              Level.WARNING, "RAR5038:Unexpected exception while creating resource", refused);
        }
        loggers.get(3).warning("RAR5114 : Error allocating connection : [Error in allocating]");
      }
      List<LogRecord> all = new ArrayList<>();
      captures.forEach(c -> all.addAll(c.records));
      assertEquals(RefusedRequestLog.POOL_LINES_PER_MINUTE, all.size(), "250 records, one minute");
      for (LogRecord r : all) {
        assertNull(r.getThrown(), "no stack trace");
        assertTrue(r.getMessage().startsWith("Database connection failed"), r.getMessage());
      }
      assertTrue(
          all.get(0).getMessage().contains("SQLException: The connection attempt failed."),
          all.get(0).getMessage());
      loggers.get(0).info("an ordinary line");
      assertEquals(
          "an ordinary line",
          captures.get(0).records.get(captures.get(0).records.size() - 1).getMessage());
    } finally {
      listener.contextDestroyed(null);
      for (int i = 0; i < loggers.size(); i++) {
        loggers.get(i).removeHandler(captures.get(i));
        loggers.get(i).setUseParentHandlers(true);
      }
    }
    loggers.forEach(l -> assertNull(l.getFilter(), "undeploying takes the filter off"));
  }
}
