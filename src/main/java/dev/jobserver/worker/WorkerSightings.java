package dev.jobserver.worker;

import dev.jobserver.engine.JobEngine;
import dev.jobserver.store.RemoteWorkerStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Which remote workers are around: each claim and heartbeat is a sighting, written to {@code
 * remote_worker} at most every {@link #WRITE_EVERY_MILLIS} per worker (the Workers view and the
 * connected gauge are that coarse), and what they did is told to the {@link WorkerListener}s.
 */
@ApplicationScoped
public class WorkerSightings {

  /** A worker's row is written at most this often by one instance. */
  static final long WRITE_EVERY_MILLIS = 5_000;

  /** A worker seen within this time counts as connected. */
  public static final long CONNECTED_MILLIS = 60_000;

  private static final Logger LOG = Logger.getLogger(WorkerSightings.class.getName());

  @Inject private RemoteWorkerStore store;
  @Inject private JobEngine engine;
  @Inject @Any private Instance<WorkerListener> listeners;

  private final Map<String, Long> written = new ConcurrentHashMap<>();

  /** A worker claimed (types: what it asked for) or beat (types null). */
  public void seen(String subject, String worker, List<String> types) {
    long now = System.currentTimeMillis();
    String id = subject + "/" + worker;
    Long last = written.get(id);
    if (types == null && last != null && now - last < WRITE_EVERY_MILLIS) {
      return;
    }
    if (types != null && last != null && now - last < WRITE_EVERY_MILLIS / 5) {
      return;
    }
    written.put(id, now);
    if (written.size() > 10_000) {
      written.clear(); // a bound, not a cache policy: rows are written again at most once each
    }
    try {
      store.seen(
          subject,
          worker,
          types == null ? null : String.join(",", types),
          engine.instanceId(),
          now);
    } catch (Exception e) {
      LOG.log(Level.FINE, "Recording a worker's sighting failed", e);
    }
  }

  void claimed(String type, int jobs) {
    listeners.forEach(l -> l.claimed(type, jobs));
  }

  void heartbeat() {
    listeners.forEach(WorkerListener::heartbeat);
  }

  void leaseLost() {
    listeners.forEach(WorkerListener::leaseLost);
  }
}
