package dev.jobserver.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.store.RunOutcome;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a handler's run ends: skip, and skip outranked by warn. */
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
}
