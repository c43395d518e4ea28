package dev.jobserver.ops;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Makes the operations beans when the application starts, on its own thread: health checks and
 * gauges are called on the server's threads, outside the application's naming context, where a bean
 * made for the first time could not get its data source injected.
 */
@ApplicationScoped
public class OpsStartup {

  @Inject private JobMetrics metrics;
  @Inject private JobCountGauges counts;
  @Inject private DatabaseProbe database;
  @Inject private WorkerMetrics workers;

  void started(@Observes @Initialized(ApplicationScoped.class) Object application) {
    metrics.prepare();
    counts.prepare();
    database.prepare();
    workers.prepare();
  }
}
