package dev.jobserver.ops;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/** /health/live (no token): DOWN when an engine loop died and could not be restarted. */
@Liveness
@ApplicationScoped
public class LivenessCheck implements HealthCheck {

  @Inject private EngineWatch engine;

  @Override
  public HealthCheckResponse call() {
    return HealthResponses.of("jobserver-live", HealthVerdict.liveness(engine.loops()));
  }
}
