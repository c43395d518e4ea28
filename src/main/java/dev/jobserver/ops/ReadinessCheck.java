package dev.jobserver.ops;

import dev.jobserver.database.DatabaseMigration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * /health/ready (no token): DOWN before the schema is migrated, while the database does not answer
 * within 2 s, or while an engine loop is dead or stopped. {@link HealthVerdict} decides.
 */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {

  @Inject private EngineWatch engine;
  @Inject private DatabaseProbe database;

  @Override
  public HealthCheckResponse call() {
    return HealthResponses.of(
        "jobserver-ready",
        HealthVerdict.readiness(
            DatabaseMigration.migrated(), engine.started(), engine.loops(), database.check()));
  }
}
