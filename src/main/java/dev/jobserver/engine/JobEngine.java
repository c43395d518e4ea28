package dev.jobserver.engine;

import dev.jobserver.database.ConfiguredDataSource;
import dev.jobserver.database.DatabaseSettings;
import dev.jobserver.job.JobSignal;
import dev.jobserver.schedule.ScheduleListener;
import dev.jobserver.schedule.ScheduleSignal;
import dev.jobserver.store.InstanceStore;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.ResultStore;
import dev.jobserver.store.ScheduleFirings;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.DependsOn;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.net.InetAddress;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The engine of this instance, wired from its parts: the {@link Dispatcher} claims jobs, the {@link
 * WorkerPool} runs them through the {@link Runner}, the {@link OutcomeRecorder} writes how they
 * ended, the {@link Heartbeat} keeps their leases and stops the ones asked to stop, {@link
 * LeaseRecovery} takes over the jobs of dead instances, and {@link EngineShutdown} hands the rest
 * back when the instance stops. Each background part runs in an {@link EngineLoop}.
 *
 * <p>Every thread it starts is one of the container's managed threads (the application's {@link
 * ManagedThreadFactory}), and every one of them ends when the application stops: the loops stop and
 * the jobs' threads ({@link JobThreads}) are ended in {@link #undeployed}, so a redeploy in a
 * running server leaves none behind.
 */
@Singleton
@Startup
@DependsOn("DatabaseMigration")
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class JobEngine {

  private static final Logger LOG = Logger.getLogger(JobEngine.class.getName());

  /** How long the undeploy waits for the jobs' threads to end once the jobs are handed back. */
  static final long THREADS_END_MILLIS = 5_000;

  @Resource private ManagedThreadFactory threads;

  @Inject private JobStore pooledStore;
  @Inject private ResultStore results;
  @Inject private JobTypeRegistry types;
  @Inject private ScheduleFirings schedules;
  @Inject private Instance<ScheduleListener> scheduleListeners;
  @Inject private InstanceStore instances;

  /** Tells health checks and metrics (ops) that the engine runs, without a call into this bean. */
  @Inject private Event<JobEngine> started;

  /** The pooled store while running; direct connections once the server stops. */
  private volatile JobStore store;

  private EngineSettings settings;
  private String instanceId;
  private Dispatcher dispatcher;
  private Heartbeat heartbeat;
  private WorkerPool pool;
  private JobThreads jobThreads;
  private Runs runs;
  private Runner runner;
  private ScheduleFiring scheduleFiring;
  private List<EngineLoop> loops;
  private EngineShutdown shutdown;
  private Thread shutdownHook;

  // The class's NOT_SUPPORTED does not reach a singleton's lifecycle callbacks: without their own,
  // Payara Server ran them in a transaction of their own, enlisted the store's connections in it
  // and then could not commit it ("RAR5031 ... Cannot commit when autoCommit is enabled" at every
  // deploy and undeploy): the store commits its own transactions.
  @PostConstruct
  @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
  void boot() {
    settings = EngineSettings.fromEnvironment();
    store = pooledStore;
    // A name of the operator's, or one that is unique per start: a restarted instance must not
    // take over the leases of its previous life.
    String named = DatabaseSettings.setting("JOBSERVER_INSTANCE_ID", null);
    instanceId =
        (named == null ? hostName() : named) + "-" + UUID.randomUUID().toString().substring(0, 8);
    String actor = "engine:" + instanceId;
    // leases and due times are compared on the database's clock, never across instance clocks
    SharedClock clock =
        new SharedClock(
            EngineClock.SYSTEM,
            () -> {
              try {
                return store.databaseMillis();
              } catch (SQLException e) {
                throw new IllegalStateException(e);
              }
            });
    clock.sync();

    runs = new Runs();
    OutcomeRecorder recorder =
        new OutcomeRecorder(() -> store, instanceId, actor, this::startRefused);
    runner =
        new Runner(
            clock,
            types,
            runs,
            recorder::started,
            recorder::record,
            recorder::release,
            () -> dispatcher.wake());
    jobThreads = new JobThreads(settings.workers(), threads);
    pool = new WorkerPool(settings.workers(), jobThreads, runner::execute, clock);
    dispatcher =
        new Dispatcher(
            settings,
            clock,
            () -> store,
            results,
            types,
            runs,
            pool,
            runner,
            instanceId,
            recorder::writeStart);
    long startedAt = clock.millis();
    heartbeat =
        new Heartbeat(
            settings,
            clock,
            () -> store,
            runs,
            runner,
            pool,
            instanceId,
            actor,
            now -> {
              clock.sync();
              seen(startedAt, clock.millis());
            },
            recorder::held);
    LeaseRecovery recovery =
        new LeaseRecovery(
            settings, clock, () -> store, dispatcher::wake, actor, heartbeat::leasesCurrent);
    // jobs whose dependencies were met by an ending written here are claimed at once
    pooledStore.whenUnblocked(dispatcher::wake);
    scheduleFiring =
        new ScheduleFiring(
            clock,
            () -> schedules,
            ScheduleFiring.jobs(types::maxAttempts),
            EngineSettings.number("JOBSERVER_SCHEDULE_GRACE_MS", 10_000, 0, 86_400_000),
            settings.pollMaxMillis(),
            dispatcher::wake,
            firedTo(scheduleListeners),
            actor);
    loops =
        List.of(
            new EngineLoop("dispatcher", dispatcher::step, threads),
            new EngineLoop("outcomes", recorder::step, threads),
            new EngineLoop("heartbeat", heartbeat::step, threads),
            new EngineLoop("recovery", recovery::step, threads),
            new EngineLoop("schedules", scheduleFiring::step, threads));

    ShutdownLog log = new ShutdownLog();
    JobStore direct = JobStore.direct();
    InstanceStore directInstances = InstanceStore.direct();
    shutdown =
        new EngineShutdown(
            settings,
            clock,
            runs,
            pool,
            runner,
            recorder,
            loops,
            () -> {
              dispatcher.stop();
              heartbeat.stop();
              recovery.stop();
              scheduleFiring.stop();
              forget(directInstances);
            },
            () -> store = direct,
            () -> store,
            log,
            instanceId,
            actor);
    prepareShutdownPath(direct, directInstances, log);
    shutdown.prepare();
    loops.forEach(EngineLoop::start);
    shutdownHook = new Thread(shutdown::run, "jobserver-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    LOG.info("Job engine " + instanceId + " started with " + settings.workers() + " workers");
    started.fire(this);
  }

  public String instanceId() {
    return instanceId;
  }

  public EngineSettings settings() {
    return settings;
  }

  /** The background loops, for health checks and metrics. */
  public List<EngineLoop> loops() {
    return loops;
  }

  /** Workers running a handler now. */
  public int busyWorkers() {
    return pool.busy();
  }

  /** Local wake-up: a job created here starts at once; a stop request is acted on at once. */
  public void onSignal(@Observes(during = TransactionPhase.AFTER_SUCCESS) JobSignal signal) {
    if (signal.kind() == JobSignal.Kind.CREATED) {
      dispatcher.wake();
    } else {
      heartbeat.check(signal.jobId());
    }
  }

  /** A schedule created or changed here is looked at by this instance's firing loop at once. */
  public void onScheduleSignal(
      @Observes(during = TransactionPhase.AFTER_SUCCESS) ScheduleSignal signal) {
    scheduleFiring.wake();
  }

  /** Tells every listener bean (metrics) what each schedule did in a round; a failure is theirs. */
  private static java.util.function.Consumer<List<ScheduleFirings.Fired>> firedTo(
      Instance<ScheduleListener> beans) {
    List<ScheduleListener> listeners = new java.util.ArrayList<>();
    beans.forEach(listeners::add);
    return round -> {
      for (ScheduleFirings.Fired f : round) {
        for (ScheduleListener l : listeners) {
          try {
            l.fired(f.scheduleId(), f.created(), f.skipped(), f.missed());
          } catch (RuntimeException e) {
            LOG.log(Level.FINE, "A schedule listener failed", e);
          }
        }
      }
    };
  }

  /** Writes this instance's row for the stats: it is alive, with its workers and how busy. */
  private void seen(long startedAt, long now) {
    try {
      instances.seen(
          new InstanceStore.Instance(
              instanceId, settings.workers(), pool.busy(), settings.leaseMillis(), startedAt, now));
    } catch (SQLException e) {
      // the stats miss one beat; the heartbeat's own writes report an unreachable database
      LOG.log(Level.FINE, "Writing the instance row of " + instanceId + " failed", e);
    }
  }

  /** The instance stops: it leaves the stats at once rather than a few leases later. */
  private void forget(InstanceStore direct) {
    try {
      direct.remove(instanceId);
    } catch (Throwable e) {
      LOG.log(Level.FINE, "Removing the instance row of " + instanceId + " failed", e);
    }
  }

  /** The job was canceled or changed while this instance held it: its run must not go on. */
  private void startRefused(String jobId) {
    Run run = runs.get(jobId);
    if (run != null) {
      runner.stop(run, Run.StopReason.SUPERSEDED);
    }
  }

  /**
   * When the server stops it closes the WAR's class loader before this engine is done, so a class
   * the shutdown path has not used yet cannot be loaded then. Run that path once now, on nothing:
   * its direct connections, statements and classes are all loaded before they are needed.
   */
  private void prepareShutdownPath(JobStore direct, InstanceStore instances, ShutdownLog log) {
    try {
      instances.remove("-");
      direct.warmUp(instanceId);
      log.write("engine " + instanceId + " started", null);
    } catch (Exception e) {
      LOG.log(
          Level.WARNING, "Preparing the shutdown path failed; shutdown may not hand jobs back", e);
    }
  }

  /**
   * Undeploy without the JVM stopping: the same hand-back as the shutdown hook. When the JVM is
   * stopping, the hook is already doing it (and keeps the JVM alive until it is done).
   */
  @PreDestroy
  @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
  void undeployed() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException jvmIsStopping) {
      // the hook runs; nothing more to do here
    }
    try {
      shutdown.run();
      endThreads();
    } finally {
      // the database heartbeat's threads would keep this application's classes alive after undeploy
      ConfiguredDataSource.stopWatching();
    }
  }

  /**
   * The application server goes on without this application: no thread of it may outlive it (each
   * would keep its class loader, and a redeploy adds more). The jobs are handed back by now; their
   * workers return, and a handler still running is interrupted once more.
   */
  private void endThreads() {
    try {
      for (EngineLoop loop : loops) {
        loop.join(THREADS_END_MILLIS);
      }
      List<Thread> left = jobThreads.close(THREADS_END_MILLIS);
      if (!left.isEmpty()) {
        StringBuilder names = new StringBuilder();
        for (Thread t : left) {
          names.append(names.length() == 0 ? "" : ", ").append(t.getName());
        }
        LOG.warning(
            left.size()
                + " job threads still run "
                + THREADS_END_MILLIS
                + " ms after the engine stopped (a handler that ignores interrupts?): "
                + names);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "instance";
    }
  }
}
