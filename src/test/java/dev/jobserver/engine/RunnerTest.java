package dev.jobserver.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.store.RunOutcome;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a handler's run ends: skip, skip outranked by warn, failures that say what follows. */
class RunnerTest {

  private final EngineFixture f = new EngineFixture();

  interface Body {
    void run(JobContext context) throws Exception;
  }

  private static JobHandler handler(String type, Body body) {
    return new JobHandler() {
      @Override
      public String type() {
        return type;
      }

      @Override
      public JobTypeSettings settings() {
        return new JobTypeSettings(Duration.ofMinutes(1), 1, Duration.ofSeconds(1), 0);
      }

      @Override
      public void run(JobContext context) throws Exception {
        body.run(context);
      }
    };
  }

  private RunOutcome run(JobHandler handler) throws Exception {
    f.insert("j", handler.type(), f.clock.millis());
    Runner runner = f.runner(JobTypeRegistry.of(handler));
    Run run = f.startedRun("j", handler);
    runner.execute(run);
    assertEquals(1, f.outcomes.size());
    return f.outcomes.get(0);
  }

  @Test
  void aHandlerThatFindsNothingToDoEndsSkippedWithItsReason() throws Exception {
    RunOutcome o = run(handler("quiet", ctx -> ctx.skip("nothing new")));
    assertEquals(Cause.SKIP, o.cause());
    assertEquals("nothing new", o.data().get("skipped"));
    assertEquals("skipped: nothing new", o.message());
    f.store.finish(EngineFixture.OWNER, List.of(o), EngineFixture.ACTOR);
    assertEquals("SKIPPED", f.row("j").get("status"));
  }

  @Test
  void aWarningOutranksASkip() throws Exception {
    RunOutcome o =
        run(
            handler(
                "both",
                ctx -> {
                  ctx.skip(null);
                  ctx.warn("odd");
                }));
    assertEquals(Cause.WARN, o.cause());
  }

  /** The job may take 3 attempts, so that a plain failure would be retried. */
  private RunOutcome runWithAttempts(JobHandler handler) throws Exception {
    f.insert("j", handler.type(), f.clock.millis());
    f.update("UPDATE job SET max_attempts = 3 WHERE id = 'j'");
    return runStarted(handler);
  }

  private RunOutcome runStarted(JobHandler handler) throws Exception {
    Runner runner = f.runner(JobTypeRegistry.of(handler));
    Run run = f.startedRun("j", handler);
    runner.execute(run);
    assertEquals(1, f.outcomes.size());
    return f.outcomes.get(0);
  }

  @Test
  void aPlainFailureIsRetriedAfterTheTypesBackoff() throws Exception {
    long before = f.clock.millis();
    RunOutcome o =
        runWithAttempts(
            handler(
                "plain",
                ctx -> {
                  throw new IllegalStateException("boom");
                }));
    assertEquals(before + 1000, o.retryAt());
    f.store.finish(EngineFixture.OWNER, List.of(o), EngineFixture.ACTOR);
    assertEquals("PENDING", f.row("j").get("status"));
  }

  @Test
  void aPermanentFailureFailsTheJobWhateverAttemptsRemain() throws Exception {
    RunOutcome o =
        runWithAttempts(
            handler(
                "final",
                ctx -> {
                  throw JobFailure.permanent("HTTP 404 from GET https://x/");
                }));
    assertEquals(Cause.FAIL, o.cause());
    assertTrue(o.finalFailure());
    assertEquals("HTTP 404 from GET https://x/", o.error());
    f.store.finish(EngineFixture.OWNER, List.of(o), EngineFixture.ACTOR);
    assertEquals("FAILED", f.row("j").get("status"));
  }

  @Test
  void aRetryAfterFailureSetsTheNextAttemptsTime() throws Exception {
    long before = f.clock.millis();
    RunOutcome o =
        runWithAttempts(
            handler(
                "later",
                ctx -> {
                  throw JobFailure.retryAfter("HTTP 503", Duration.ofSeconds(42), null);
                }));
    assertFalse(o.finalFailure());
    assertEquals(before + 42_000, o.retryAt());
    f.store.finish(EngineFixture.OWNER, List.of(o), EngineFixture.ACTOR);
    assertEquals("PENDING", f.row("j").get("status"));
  }
}
