package dev.jobserver.ops;

import dev.jobserver.database.DatabaseMigration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/** /health/started (no token): UP once the schema is migrated and the engine runs. */
@Startup
@ApplicationScoped
public class StartupCheck implements HealthCheck {

  @Inject private EngineWatch engine;

  @Override
  public HealthCheckResponse call() {
    return HealthResponses.of(
        "jobserver-started", HealthVerdict.startup(DatabaseMigration.migrated(), engine.started()));
  }
}
