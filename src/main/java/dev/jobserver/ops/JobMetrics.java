package dev.jobserver.ops;

import dev.jobserver.engine.EngineLoop;
import dev.jobserver.engine.JobTypeRegistry;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.StoreListener;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Tag;
import org.eclipse.microprofile.metrics.Timer;

/**
 * This instance's metrics, served by Payara Micro as Prometheus text at /metrics (application
 * scope), names starting with {@code jobserver_}, labels only type, status and loop (never a job id
 * or data). Counters and timers count what happened here, as the store tells it after each commit;
 * the jobs-by-status gauges read the store's counters (shared by all instances, refreshed at most
 * every {@link JobCountGauges#MAX_AGE_MILLIS}); the worker and loop gauges are this instance's. Run
 * and wait times are timers with fixed buckets ({@link MetricsDefaults}), so that their {@code
 * _bucket} series add up across instances.
 */
@ApplicationScoped
public class JobMetrics implements StoreListener {

  static final String CREATED = "jobserver_jobs_created";
  static final String FINISHED = "jobserver_jobs_finished";
  static final String RUN = "jobserver_job_run";
  static final String WAIT = "jobserver_job_wait";
  static final String JOBS = "jobserver_jobs";
  static final String WORKERS_BUSY = "jobserver_workers_busy";
  static final String WORKERS_MAX = "jobserver_workers_max";
  static final String LOOP_ERRORS = "jobserver_engine_loop_errors";
  static final String LOOP_UP = "jobserver_engine_loop_up";

  /** The engine's loops, by name (their gauges exist before the engine has started). */
  static final String[] LOOPS = {"dispatcher", "outcomes", "heartbeat", "recovery", "schedules"};

  @Inject private MetricRegistry registry;
  @Inject private JobTypeRegistry types;
  @Inject private EngineWatch engine;
  @Inject private JobCountGauges counts;

  private final Map<String, Counter> created = new ConcurrentHashMap<>();
  private final Map<String, Counter> finished = new ConcurrentHashMap<>();
  private final Map<String, Timer> runs = new ConcurrentHashMap<>();
  private final Map<String, Timer> waits = new ConcurrentHashMap<>();

  /** Nothing but being called: made at startup (see {@link OpsStartup}), so the gauges exist. */
  void prepare() {}

  @PostConstruct
  void register() {
    for (var handler : types.all()) {
      String type = handler.type();
      for (JobStatus status : JobStatus.values()) {
        registry.gauge(
            Metadata.builder()
                .withName(JOBS)
                .withDescription(
                    "Jobs by type and status now, in the whole store: every instance reports"
                        + " the same values (aggregate with max, not sum).")
                .build(),
            () -> counts.count(type, status),
            new Tag("type", type),
            new Tag("status", name(status)));
      }
      createdCounter(type);
      runTimer(type);
      waitTimer(type);
    }
    registry.gauge(
        Metadata.builder()
            .withName(WORKERS_BUSY)
            .withDescription("Workers of this instance running a job now.")
            .build(),
        engine::busyWorkers);
    registry.gauge(
        Metadata.builder()
            .withName(WORKERS_MAX)
            .withDescription("Most jobs this instance runs at once (JOBSERVER_WORKERS).")
            .build(),
        engine::maxWorkers);
    for (String loop : LOOPS) {
      registry.gauge(
          Metadata.builder()
              .withName(LOOP_ERRORS)
              .withDescription(
                  "Steps of this engine loop that failed since the instance started (a count:"
                      + " use increase()).")
              .build(),
          () -> loopErrors(loop),
          new Tag("loop", loop));
      registry.gauge(
          Metadata.builder()
              .withName(LOOP_UP)
              .withDescription(
                  "1 while this engine loop runs or retries after a failure, 0 before the engine"
                      + " starts, when it stopped, or when it is dead.")
              .build(),
          () -> loopUp(loop),
          new Tag("loop", loop));
    }
  }

  @Override
  public void created(String type) {
    createdCounter(type).inc();
  }

  @Override
  public void started(String type, long waitMillis) {
    waitTimer(type).update(Duration.ofMillis(waitMillis));
  }

  @Override
  public void finished(String type, JobStatus status, long runMillis) {
    finished
        .computeIfAbsent(
            type + '\n' + status,
            k ->
                registry.counter(
                    Metadata.builder()
                        .withName(FINISHED)
                        .withDescription(
                            "Jobs that finished on this instance, by type and final status.")
                        .build(),
                    new Tag("type", type),
                    new Tag("status", name(status))))
        .inc();
    if (runMillis >= 0) {
      runTimer(type).update(Duration.ofMillis(runMillis));
    }
  }

  private Counter createdCounter(String type) {
    return created.computeIfAbsent(
        type,
        t ->
            registry.counter(
                Metadata.builder()
                    .withName(CREATED)
                    .withDescription("Jobs created on this instance, by type.")
                    .build(),
                new Tag("type", t)));
  }

  private Timer runTimer(String type) {
    return runs.computeIfAbsent(
        type,
        t ->
            registry.timer(
                Metadata.builder()
                    .withName(RUN)
                    .withDescription("Run time of the jobs that ended on this instance, by type.")
                    .withUnit(MetricUnits.SECONDS)
                    .build(),
                new Tag("type", t)));
  }

  private Timer waitTimer(String type) {
    return waits.computeIfAbsent(
        type,
        t ->
            registry.timer(
                Metadata.builder()
                    .withName(WAIT)
                    .withDescription(
                        "Wait of the jobs this instance started, from due (created or run_at)"
                            + " to start, by type.")
                    .withUnit(MetricUnits.SECONDS)
                    .build(),
                new Tag("type", t)));
  }

  private long loopErrors(String name) {
    for (EngineLoop loop : engine.loops()) {
      if (loop.name().equals(name)) {
        return loop.errors();
      }
    }
    return 0;
  }

  private int loopUp(String name) {
    for (EngineLoop loop : engine.loops()) {
      if (loop.name().equals(name)) {
        EngineLoop.State s = loop.state();
        return s == EngineLoop.State.RUNNING || s == EngineLoop.State.BACKING_OFF ? 1 : 0;
      }
    }
    return 0;
  }

  private static String name(JobStatus status) {
    return status.name().toLowerCase(Locale.ROOT);
  }
}
