package dev.jobserver.engine;

import dev.jobserver.store.ClaimedJob;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.ProgressUpdate;
import dev.jobserver.store.RunOutcome;
import dev.jobserver.store.RunStart;
import dev.jobserver.store.RunState;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * One engine of the stress test, wired from the engine's parts as {@code JobEngine.boot} wires
 * them, on real threads and a plain executor, over its own {@link FaultyDataSource}: it can be
 * killed (its process gone: loops stopped, connections cut, runs abandoned without a hand-back) or
 * shut down as the server does.
 */
final class StressEngine {

  /** The job types of the test, each with its behaviour read from the job's data. */
  static final Map<String, JobTypeSettings> TYPES =
      Map.of(
          "quick", settings(5000, 3, 0),
          "two", settings(5000, 3, 2),
          "one", settings(5000, 3, 1),
          "slow", settings(300, 2, 0),
          "stubborn", settings(300, 2, 0));

  private static JobTypeSettings settings(long timeoutMs, int attempts, int limit) {
    return new JobTypeSettings(
        Duration.ofMillis(timeoutMs), attempts, Duration.ofMillis(50), limit);
  }

  final String name;
  final EngineSettings settings;
  final FaultyDataSource ds;
  final StressLog log;
  final Runs runs = new Runs();
  final OutcomeRecorder recorder;
  final SharedClock clock;
  private final Skewed local;
  private final Dispatcher dispatcher;
  private final Heartbeat heartbeat;
  private final LeaseRecovery recovery;
  private final WorkerPool pool;
  private final List<EngineLoop> loops;
  private final EngineShutdown shutdown;
  private final ExecutorService executor;
  volatile boolean dead;
  volatile boolean stopped;

  StressEngine(
      String name, EngineSettings settings, long skewMillis, DataSource database, StressLog log) {
    this.name = name;
    this.settings = settings;
    this.log = log;
    String actor = "engine:" + name;
    ds = new FaultyDataSource(database);
    JobStore real = JobStore.over(ds);
    JobStore store = new Logged(real);
    local = new Skewed(skewMillis);
    clock =
        new SharedClock(
            local,
            () -> {
              try {
                return real.databaseMillis();
              } catch (SQLException e) {
                throw new IllegalStateException(e);
              }
            });
    clock.sync();
    JobHandler[] handlers =
        TYPES.entrySet().stream()
            .map(e -> new StressHandler(e.getKey(), e.getValue()))
            .toArray(JobHandler[]::new);
    JobTypeRegistry types = JobTypeRegistry.of(handlers);
    recorder = new OutcomeRecorder(() -> store, name, actor, this::startRefused);
    Dispatcher[] wake = new Dispatcher[1];
    Runner runner =
        new Runner(
            clock,
            types,
            runs,
            recorder::started,
            recorder::record,
            recorder::release,
            () -> wake[0].wake());
    this.runner = runner;
    AtomicInteger n = new AtomicInteger();
    executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, name + "-worker-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool = new WorkerPool(settings.workers(), executor, runner::execute, clock);
    dispatcher =
        new Dispatcher(
            settings,
            clock,
            () -> store,
            null,
            types,
            runs,
            pool,
            runner,
            name,
            recorder::writeStart);
    wake[0] = dispatcher;
    heartbeat =
        new Heartbeat(
            settings,
            clock,
            () -> store,
            runs,
            runner,
            pool,
            name,
            actor,
            now -> clock.sync(),
            recorder::held);
    recovery =
        new LeaseRecovery(
            settings, clock, () -> store, dispatcher::wake, actor, heartbeat::leasesCurrent);
    real.whenUnblocked(dispatcher::wake);
    ThreadFactory threads =
        r -> {
          Thread t = new Thread(r);
          t.setDaemon(true);
          return t;
        };
    loops =
        List.of(
            new EngineLoop(name + "-dispatcher", dispatcher::step, threads),
            new EngineLoop(name + "-outcomes", recorder::step, threads),
            new EngineLoop(name + "-heartbeat", heartbeat::step, threads),
            new EngineLoop(name + "-recovery", recovery::step, threads));
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
            },
            () -> {},
            () -> store,
            new ShutdownLog(),
            name,
            actor);
    loops.forEach(EngineLoop::start);
  }

  private final Runner runner;

  private void startRefused(String jobId) {
    Run run = runs.get(jobId);
    if (run != null) {
      runner.stop(run, Run.StopReason.SUPERSEDED);
    }
  }

  /** Whether this engine, alive, holds the job: a run of it, or a write of it still to be made. */
  boolean holds(String jobId) {
    return !dead && (runs.holds(jobId) || recorder.held().contains(jobId));
  }

  /** Runs in hand and writes waiting: zero when the engine is idle. */
  int busy() {
    return runs.inHand() + recorder.waiting();
  }

  /** Sets this machine's wall clock off by this much (the shared clock corrects it at its sync). */
  void skew(long millis) {
    local.skew = millis;
  }

  /**
   * SIGKILL: the process is gone. Its connections are cut (the database rolls back what was not
   * committed), its loops and workers stop, nothing is handed back; its handlers return at once
   * (the test cannot end a JVM thread, and the log counts nothing of them after this moment).
   */
  void kill() {
    dead = true;
    stopped = true;
    ds.kill();
    for (EngineLoop loop : loops) {
      loop.stop();
    }
    dispatcher.stop();
    heartbeat.stop();
    recovery.stop();
    pool.stop(new CountDownLatch(0), 0);
    log.killedAt.put(name, System.nanoTime());
    executor.shutdownNow();
  }

  /** SIGTERM: the server's shutdown (grace, hand-back, leases kept for runs still alive). */
  void shutDown() {
    stopped = true;
    log.stoppingAt.put(name, System.nanoTime() / 1_000_000);
    try {
      shutdown.run();
    } finally {
      executor.shutdown();
    }
  }

  List<EngineLoop> loops() {
    return loops;
  }

  /** This machine's clocks with the wall clock set off by {@code skew} ms. */
  private static final class Skewed implements EngineClock {
    volatile long skew;

    Skewed(long skew) {
      this.skew = skew;
    }

    @Override
    public long millis() {
      return System.currentTimeMillis() + skew;
    }

    @Override
    public long nanos() {
      return System.nanoTime();
    }
  }

  /**
   * A test handler: logs its start and stop, runs for {@code data.ms} ms, fails its first {@code
   * data.fail} attempts, and with {@code data.stubborn} ignores interrupts (a handler blocked in
   * I/O) and runs on past its timeout. It returns at once when its engine is killed.
   */
  private final class StressHandler implements JobHandler {
    private final String type;
    private final JobTypeSettings settings;

    StressHandler(String type, JobTypeSettings settings) {
      this.type = type;
      this.settings = settings;
    }

    @Override
    public String type() {
      return type;
    }

    @Override
    public JobTypeSettings settings() {
      return settings;
    }

    @Override
    public void run(JobContext context) throws Exception {
      StressLog.Interval interval = log.started(context.jobId(), context.attempt(), name, type);
      try {
        Map<String, String> data = context.data();
        long ms = Long.parseLong(data.getOrDefault("ms", "10"));
        boolean stubborn = data.containsKey("stubborn");
        long until = System.nanoTime() + ms * 1_000_000L;
        while (!dead && System.nanoTime() - until < 0) {
          try {
            Thread.sleep(Math.max(1, Math.min(5, (until - System.nanoTime()) / 1_000_000L)));
          } catch (InterruptedException e) {
            if (!stubborn) {
              throw e;
            }
            // blocked in I/O: it does not see the interrupt
          }
        }
        if (context.attempt() <= Integer.parseInt(data.getOrDefault("fail", "0"))) {
          throw new IllegalStateException("failing attempt " + context.attempt() + " on purpose");
        }
      } finally {
        interval.stop = System.nanoTime();
      }
    }
  }

  /**
   * A bug planted on purpose ({@code -Dstress.mutant=NAME}) to see the checks fail: {@code
   * lease-all} extends every lease of the engine (reservations nobody holds too), {@code
   * no-kept-lease} gives up the lease of a run stopped from outside at once, {@code no-limits}
   * claims limited types without their limits, {@code limited-last} claims limited types only with
   * the room the others left, {@code no-recovery} never recovers expired leases.
   */
  static final String MUTANT = System.getProperty("stress.mutant", "");

  /** The store, with each claim written to the log (what it was asked and what it took). */
  private final class Logged extends JobStore {
    private final JobStore store;

    Logged(JobStore store) {
      this.store = store;
    }

    @Override
    public List<ClaimedJob> reserve(
        String owner,
        int limit,
        long now,
        long leaseUntil,
        Map<String, Integer> limited,
        Collection<String> excludedIds)
        throws SQLException {
      long start = System.nanoTime();
      List<ClaimedJob> claimed = null;
      try {
        if (MUTANT.equals("no-limits")) {
          claimed = store.reserve(owner, limit, now, leaseUntil, Map.of(), excludedIds);
        } else if (MUTANT.equals("limited-last")) {
          Map<String, Integer> none = new java.util.HashMap<>();
          limited.keySet().forEach(t -> none.put(t, 0));
          claimed =
              new java.util.ArrayList<>(
                  store.reserve(owner, limit, now, leaseUntil, none, excludedIds));
          if (claimed.size() < limit) {
            java.util.Set<String> except = new java.util.HashSet<>(excludedIds);
            claimed.forEach(j -> except.add(j.id()));
            Map<String, Integer> only = new java.util.HashMap<>(limited);
            for (ClaimedJob j :
                store.reserve(owner, limit - claimed.size(), now, leaseUntil, only, except)) {
              if (limited.containsKey(j.type())) {
                claimed.add(j);
              } else {
                store.release(owner, List.of(j.id()));
              }
            }
          }
        } else {
          claimed = store.reserve(owner, limit, now, leaseUntil, limited, excludedIds);
        }
        return claimed;
      } finally {
        log.claimed(
            new StressLog.Claim(name, start, System.nanoTime(), Map.copyOf(limited), claimed));
      }
    }

    @Override
    public int release(String owner, Collection<String> ids) throws SQLException {
      return store.release(owner, ids);
    }

    @Override
    public Set<String> record(
        String owner, List<RunStart> starts, List<RunOutcome> ends, String actor)
        throws SQLException {
      return store.record(owner, starts, mutated(ends), actor);
    }

    @Override
    public int finish(String owner, List<RunOutcome> outcomes, String actor) throws SQLException {
      return store.finish(owner, mutated(outcomes), actor);
    }

    private List<RunOutcome> mutated(List<RunOutcome> outcomes) {
      if (!MUTANT.equals("no-kept-lease")) {
        return outcomes;
      }
      return outcomes.stream()
          .map(
              o ->
                  new RunOutcome(
                      o.jobId(),
                      o.attempt(),
                      o.cause(),
                      o.progress(),
                      o.data(),
                      o.error(),
                      o.stacktrace(),
                      o.retryAt(),
                      o.message()))
          .toList();
    }

    @Override
    public int extendLeases(String owner, Collection<String> ids, long leaseUntil)
        throws SQLException {
      if (MUTANT.equals("lease-all")) {
        try (java.sql.Connection c = ds.getConnection();
            java.sql.PreparedStatement ps =
                c.prepareStatement("UPDATE job SET lease_expires_at = ? WHERE lease_owner = ?")) {
          ps.setLong(1, leaseUntil);
          ps.setString(2, owner);
          return ps.executeUpdate();
        }
      }
      return store.extendLeases(owner, ids, leaseUntil);
    }

    @Override
    public void progress(String owner, Collection<ProgressUpdate> updates) throws SQLException {
      store.progress(owner, updates);
    }

    @Override
    public Map<String, RunState> states(Collection<String> ids) throws SQLException {
      return store.states(ids);
    }

    @Override
    public int recoverExpired(long now, int limit, String actor) throws SQLException {
      if (MUTANT.equals("no-recovery")) {
        return 0;
      }
      return store.recoverExpired(now, limit, actor);
    }

    @Override
    public int handBack(
        String owner, Collection<String> ids, Collection<String> alive, String actor, String reason)
        throws SQLException {
      return store.handBack(owner, ids, alive, actor, reason);
    }

    @Override
    public long databaseMillis() throws SQLException {
      return store.databaseMillis();
    }
  }
}
