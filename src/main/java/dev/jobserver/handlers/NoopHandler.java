package dev.jobserver.handlers;

import dev.jobserver.engine.JobContext;
import dev.jobserver.engine.JobHandler;
import jakarta.enterprise.context.ApplicationScoped;

/** Completes at once: for testing clients and measuring the engine. */
@ApplicationScoped
public class NoopHandler implements JobHandler {
  @Override
  public String type() {
    return "noop";
  }

  @Override
  public String description() {
    return "Completes at once.";
  }

  @Override
  public void run(JobContext context) {}
}
