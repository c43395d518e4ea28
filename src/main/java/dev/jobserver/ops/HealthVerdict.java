package dev.jobserver.ops;

import dev.jobserver.engine.EngineLoop;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the three probes say, decided from plain facts so that it is tested without a server: the
 * schema's migration, the engine's loops, the database probe. Its data says why, with nothing
 * secret in it (states and timings only).
 *
 * @param data what the probe shows besides UP or DOWN, in a stable order
 */
public record HealthVerdict(boolean up, Map<String, Object> data) {

  /**
   * Ready to serve: the schema is migrated, the engine runs (every loop running or backing off: not
   * one whose thread has not run yet, nor a dead or stopped one, as a stopping instance takes no
   * more traffic), and the database answered in time.
   */
  static HealthVerdict readiness(
      boolean migrated, boolean engineStarted, List<EngineLoop> loops, DatabaseProbe.Result db) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("migrations", migrated ? "done" : "not finished");
    boolean up = migrated;
    data.put("engine", engineStarted ? "started" : "not started");
    up &= engineStarted;
    for (EngineLoop loop : loops) {
      EngineLoop.State state = loop.state();
      data.put("loop_" + loop.name(), state.name().toLowerCase());
      // a loop whose thread has not run yet (STARTING) does no work: not ready
      up &= state == EngineLoop.State.RUNNING || state == EngineLoop.State.BACKING_OFF;
    }
    if (db == null) {
      data.put("database", "not checked");
      up = false;
    } else {
      data.put("database", db.up() ? "up" : "down: " + db.detail());
      data.put("database_ms", db.millis());
      up &= db.up();
    }
    return new HealthVerdict(up, data);
  }

  /**
   * Alive: no engine loop is dead (its thread died and could not be replaced; a restart of the
   * process is what helps). A database outage is not a reason to restart: readiness says it.
   */
  static HealthVerdict liveness(List<EngineLoop> loops) {
    Map<String, Object> data = new LinkedHashMap<>();
    boolean up = true;
    for (EngineLoop loop : loops) {
      data.put("loop_" + loop.name(), loop.state().name().toLowerCase());
      data.put("loop_" + loop.name() + "_errors", loop.errors());
      up &= loop.state() != EngineLoop.State.DEAD;
    }
    return new HealthVerdict(up, data);
  }

  /** Started: the schema is migrated and the engine runs. */
  static HealthVerdict startup(boolean migrated, boolean engineStarted) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("migrations", migrated ? "done" : "not finished");
    data.put("engine", engineStarted ? "started" : "not started");
    return new HealthVerdict(migrated && engineStarted, data);
  }
}
