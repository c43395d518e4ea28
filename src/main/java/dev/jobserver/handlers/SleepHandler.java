package dev.jobserver.handlers;

import dev.jobserver.engine.JobContext;
import dev.jobserver.engine.JobHandler;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Sleeps {@code duration_ms} (default 1000) in steps, reporting progress and honouring
 * cancellation; with {@code fail} set it then fails with that message.
 */
@ApplicationScoped
public class SleepHandler implements JobHandler {

  @Override
  public String type() {
    return "sleep";
  }

  @Override
  public String description() {
    return "Sleeps data.duration_ms (default 1000), reporting progress; data.fail makes it fail"
        + " with that message.";
  }

  @Override
  public void run(JobContext context) throws Exception {
    long duration = Params.longValue(context.data(), "duration_ms", 1000, 0, 86_400_000L);
    long start = System.nanoTime();
    long step = Math.max(1, Math.min(100, duration / 20));
    while (true) {
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      if (elapsed >= duration) {
        break;
      }
      if (context.cancelRequested()) {
        throw new InterruptedException("canceled");
      }
      context.progress((int) (elapsed * 100 / Math.max(1, duration)));
      Thread.sleep(Math.min(step, duration - elapsed));
    }
    context.progress(100);
    String fail = context.data().get("fail");
    if (fail != null && !fail.isEmpty()) {
      throw new IllegalStateException(fail);
    }
  }
}
