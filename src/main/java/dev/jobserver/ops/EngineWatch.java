package dev.jobserver.ops;

import dev.jobserver.engine.EngineLoop;
import dev.jobserver.engine.JobEngine;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;

/**
 * This instance's engine, once it has started, for health checks and metrics. The engine announces
 * itself (an event) rather than being called: a probe must never wait for the engine's boot, which
 * waits for the database migration.
 */
@ApplicationScoped
public class EngineWatch {

  private volatile JobEngine engine;

  void started(@Observes JobEngine engine) {
    this.engine = engine;
  }

  /** Whether the engine has started (the schema was migrated before it). */
  public boolean started() {
    return engine != null;
  }

  /** Its background loops; empty before it has started. */
  public List<EngineLoop> loops() {
    JobEngine e = engine;
    return e == null ? List.of() : e.loops();
  }

  /** Workers running a handler now; 0 before the engine has started. */
  public int busyWorkers() {
    JobEngine e = engine;
    return e == null ? 0 : e.busyWorkers();
  }

  /** Most jobs this instance runs at once; 0 before the engine has started. */
  public int maxWorkers() {
    JobEngine e = engine;
    return e == null ? 0 : e.settings().workers();
  }
}
