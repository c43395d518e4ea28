package dev.jobserver.ops;

import dev.jobserver.store.RemoteWorkerStore;
import dev.jobserver.worker.WorkerListener;
import dev.jobserver.worker.WorkerSightings;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;

/**
 * Remote workers as this instance served them: {@code jobserver_worker_claims_total{type}} (jobs
 * handed out by claims), {@code jobserver_worker_heartbeats_total}, {@code
 * jobserver_worker_leases_lost_total} (worker writes refused because the lease was lost: sum over
 * instances), and {@code jobserver_workers_connected} (workers seen by any instance in the last
 * minute: the same on every instance, aggregate with max).
 */
@ApplicationScoped
public class WorkerMetrics implements WorkerListener {

  static final String CLAIMS = "jobserver_worker_claims";
  static final String HEARTBEATS = "jobserver_worker_heartbeats";
  static final String LOST = "jobserver_worker_leases_lost";
  static final String CONNECTED = "jobserver_workers_connected";

  /** The connected count is read at most this often. */
  static final long READ_EVERY_MILLIS = 5_000;

  private static final Metadata CLAIMS_METADATA =
      Metadata.builder()
          .withName(CLAIMS)
          .withDescription("Jobs that remote workers claimed through this instance, by type.")
          .build();

  @Inject private MetricRegistry registry;
  @Inject private RemoteWorkerStore workers;

  private volatile long connected;
  private volatile long readAt;

  /** Nothing but being called: made at startup (see {@link OpsStartup}), so the gauge exists. */
  void prepare() {}

  @PostConstruct
  void register() {
    registry.counter(
        Metadata.builder()
            .withName(HEARTBEATS)
            .withDescription("Heartbeats of remote workers that extended a lease on this instance.")
            .build());
    registry.counter(
        Metadata.builder()
            .withName(LOST)
            .withDescription(
                "Remote workers' writes refused on this instance because their lease was lost"
                    + " (expired, the job ended or was canceled, another run holds it).")
            .build());
    registry.gauge(
        Metadata.builder()
            .withName(CONNECTED)
            .withDescription(
                "Remote workers that claimed or beat on any instance in the last minute (the same"
                    + " on every instance: aggregate with max).")
            .build(),
        this::connected);
  }

  private long connected() {
    long now = System.currentTimeMillis();
    if (now - readAt > READ_EVERY_MILLIS) {
      readAt = now;
      try {
        connected = workers.countSince(now - WorkerSightings.CONNECTED_MILLIS);
      } catch (Exception e) {
        // the database is out of reach: the last value stands
      }
    }
    return connected;
  }

  @Override
  public void claimed(String type, int jobs) {
    registry.counter(CLAIMS_METADATA, new Tag("type", type)).inc(jobs);
  }

  @Override
  public void heartbeat() {
    registry.counter(HEARTBEATS).inc();
  }

  @Override
  public void leaseLost() {
    registry.counter(LOST).inc();
  }
}
