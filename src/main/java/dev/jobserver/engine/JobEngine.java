package dev.jobserver.engine;

import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobSignal;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.ClaimedJob;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.ProgressUpdate;
import dev.jobserver.store.ResultStore;
import dev.jobserver.store.RunOutcome;
import dev.jobserver.store.RunState;
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
import jakarta.enterprise.concurrent.ManagedExecutorDefinition;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.inject.Inject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs jobs on this instance: claims due PENDING jobs in batches up to the free worker slots, runs
 * their handlers on a managed executor, records outcomes in batches, keeps leases alive, stops runs
 * that were canceled or requeued, recovers jobs whose instance died, and hands unfinished jobs back
 * when the instance stops.
 */
// the pool grows to maxAsync threads; JOBSERVER_WORKERS is capped at the same number
@ManagedExecutorDefinition(name = JobEngine.EXECUTOR, maxAsync = EngineSettings.MAX_WORKERS)
@Singleton
@Startup
@DependsOn("DatabaseMigration")
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
public class JobEngine {

  static final String EXECUTOR = "java:app/concurrent/jobserver-jobs";
  private static final Logger LOG = Logger.getLogger(JobEngine.class.getName());
  private static final int COMPLETION_BATCH = 500;

  /** Claim ahead only what the workers start within this time (see {@link #capacity()}). */
  private static final double PREFETCH_WAIT_NANOS = 5_000_000;

  /** At most this many times JOBSERVER_WORKERS runs claimed ahead. */
  private static final int MAX_PREFETCH_FACTOR = 4;

  /**
   * A claimed run still waiting after this long is handed back (workers got stuck on long jobs).
   */
  private static final long MAX_WAIT_NANOS = 1_000_000_000L;

  /** An idle worker leaves the executor after this long without a run. */
  private static final long WORKER_KEEP_ALIVE_NANOS = 10_000_000_000L;

  /** How often an idle worker checks whether the instance is stopping. */
  private static final long WORKER_POLL_MILLIS = 250;

  @Resource(lookup = EXECUTOR)
  private ManagedExecutorService executor;

  @Resource private ManagedThreadFactory threads;

  @Inject private JobStore pooledQueue;

  /** The pooled queue while running; direct connections once the server stops (see shutdown). */
  private volatile JobStore queue;

  @Inject private ResultStore results;
  @Inject private JobTypeRegistry types;

  private EngineSettings settings;
  private String instanceId;
  private String actor;

  private final Map<String, Run> running = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> runningByType = new ConcurrentHashMap<>();

  /** Runs in hand: running on a worker, or claimed and waiting in {@link #ready}. */
  private final AtomicInteger inHand = new AtomicInteger();

  /** Worker tasks on the executor (at most JOBSERVER_WORKERS). */
  private final AtomicInteger active = new AtomicInteger();

  /** Claimed runs waiting for a worker, in claim order. */
  private final ConcurrentLinkedDeque<Run> ready = new ConcurrentLinkedDeque<>();

  /** Workers waiting for a run (they wait on {@link #workWait}). */
  private final AtomicInteger idle = new AtomicInteger();

  /** Workers handed to the executor that have not looked for a run yet. */
  private final AtomicInteger starting = new AtomicInteger();

  private final Object workWait = new Object();

  /** Moving average of recent handler run times (ns); 0 until the first run ends. */
  private volatile double runNanos;

  private final LinkedBlockingQueue<RunOutcome> outcomes = new LinkedBlockingQueue<>();
  private final Set<String> stopChecks = ConcurrentHashMap.newKeySet();
  private final Object wake = new Object();
  private boolean wakeRequested;
  private final Object tick = new Object();
  private volatile boolean stopping;

  /** Set after the grace period: shutdown records the last outcomes itself. */
  private volatile boolean closing;

  private final List<Thread> loops = new ArrayList<>();
  private final java.util.concurrent.atomic.AtomicBoolean shutDown =
      new java.util.concurrent.atomic.AtomicBoolean();
  private Thread shutdownHook;
  private JobStore directQueue;
  private final ShutdownLog shutdownLog = new ShutdownLog();
  private final java.util.concurrent.CountDownLatch shutdownDone =
      new java.util.concurrent.CountDownLatch(1);

  @PostConstruct
  void boot() {
    settings = EngineSettings.fromEnvironment();
    queue = pooledQueue;
    // A name of the operator's, or one that is unique per start: a restarted instance must not
    // take over the leases of its previous life.
    String named = dev.jobserver.database.DatabaseSettings.setting("JOBSERVER_INSTANCE_ID", null);
    instanceId =
        (named == null ? hostName() : named) + "-" + UUID.randomUUID().toString().substring(0, 8);
    actor = "engine:" + instanceId;
    loops.add(threads.newThread(this::dispatchLoop));
    loops.add(threads.newThread(this::completeLoop));
    loops.add(threads.newThread(this::tickLoop));
    loops.get(0).setName("jobserver-dispatcher");
    loops.get(1).setName("jobserver-completer");
    loops.get(2).setName("jobserver-heartbeat");
    loops.forEach(Thread::start);
    prepareShutdownPath();
    shutdownHook = new Thread(this::shutdown, "jobserver-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    LOG.info("Job engine " + instanceId + " started with " + settings.workers() + " workers");
  }

  public String instanceId() {
    return instanceId;
  }

  public EngineSettings settings() {
    return settings;
  }

  /** Local wake-up: a job created here starts at once; a stop request is acted on at once. */
  public void onSignal(@Observes(during = TransactionPhase.AFTER_SUCCESS) JobSignal signal) {
    if (signal.kind() == JobSignal.Kind.CREATED) {
      wakeDispatcher();
    } else if (running.containsKey(signal.jobId())) {
      stopChecks.add(signal.jobId());
      synchronized (tick) {
        tick.notifyAll();
      }
    }
  }

  private void wakeDispatcher() {
    synchronized (wake) {
      wakeRequested = true;
      wake.notifyAll();
    }
  }

  // ---- dispatching -------------------------------------------------------------------------

  /**
   * How many jobs may be in hand (running or claimed and waiting for a worker): the workers, plus
   * as many claimed ahead as the workers will start within about {@link #PREFETCH_WAIT_NANOS},
   * judged by the average run time of recent jobs. Short jobs are claimed in bigger batches (a
   * claim round trip serves more jobs than there are workers); long ones are never claimed ahead.
   */
  int capacity() {
    int workers = settings.workers();
    double avg = runNanos;
    if (avg <= 0) {
      return workers;
    }
    double ahead = workers * (PREFETCH_WAIT_NANOS / avg);
    return workers + (int) Math.min(ahead, (double) workers * MAX_PREFETCH_FACTOR);
  }

  private void dispatchLoop() {
    long idleWait = settings.pollMinMillis();
    boolean backlog = false;
    while (!stopping) {
      int claimedCount = 0;
      if (backlog) {
        awaitRoom();
      }
      int room = capacity() - inHand.get();
      try {
        if (room > 0) {
          claimedCount = claimAndStart(room);
        }
      } catch (Exception e) {
        if (!stopping) {
          LOG.log(Level.WARNING, "Claiming jobs failed; retrying", e);
        }
      }
      // A claim that filled all the room means more work is waiting.
      backlog = claimedCount > 0 && claimedCount == room;
      if (backlog) {
        idleWait = settings.pollMinMillis();
        if (capacity() - inHand.get() > 0) {
          continue; // more may be waiting and there is room: claim again at once
        }
      }
      synchronized (wake) {
        if (!wakeRequested && !stopping) {
          try {
            wake.wait(idleWait);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
        boolean woken = wakeRequested;
        wakeRequested = false;
        idleWait =
            woken || claimedCount > 0
                ? settings.pollMinMillis()
                : Math.min(idleWait * 2, settings.pollMaxMillis());
      }
    }
  }

  /**
   * With work waiting, each finished run would otherwise trigger a claim of one job: let room free
   * up for a moment (until half the capacity is free, at most 2 ms) and claim it in one statement.
   */
  private void awaitRoom() {
    long deadline = System.nanoTime() + 2_000_000L;
    synchronized (wake) {
      while (!stopping) {
        int capacity = capacity();
        if (capacity - inHand.get() >= Math.max(1, capacity / 2)) {
          break;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          wake.wait(left / 1_000_000L, (int) (left % 1_000_000L));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      wakeRequested = false;
    }
  }

  private int claimAndStart(int room) throws Exception {
    Set<String> full = new HashSet<>();
    for (JobHandler h : types.all()) {
      int max = h.settings().maxConcurrent();
      if (max > 0 && counter(h.type()).get() >= max) {
        full.add(h.type());
      }
    }
    List<ClaimedJob> claimed =
        queue.claim(
            instanceId, room, System.currentTimeMillis() + settings.leaseMillis(), full, actor);
    List<String> over = new ArrayList<>();
    for (ClaimedJob job : claimed) {
      JobHandler handler = types.handler(job.type());
      int max = handler == null ? 0 : handler.settings().maxConcurrent();
      if (max > 0 && counter(job.type()).get() >= max) {
        over.add(job.id());
        continue;
      }
      Run run = new Run(job, handler, results);
      inHand.incrementAndGet();
      counter(job.type()).incrementAndGet();
      running.put(job.id(), run);
      ready.add(run);
    }
    wakeWorkers(claimed.size() - over.size());
    startWorkers();
    if (!over.isEmpty()) {
      queue.handBack(instanceId, over, actor, "handed back: its type is at its concurrency limit");
    }
    return claimed.size();
  }

  private AtomicInteger counter(String type) {
    return runningByType.computeIfAbsent(type, t -> new AtomicInteger());
  }

  /** Starts worker tasks for waiting runs no idle worker will take, up to JOBSERVER_WORKERS. */
  private void startWorkers() {
    while (!stopping && ready.size() > idle.get() + starting.get() && takeWorkerSlot()) {
      starting.incrementAndGet();
      try {
        executor.execute(this::work);
      } catch (RuntimeException e) {
        starting.decrementAndGet();
        active.decrementAndGet();
        LOG.log(Level.WARNING, "Starting a worker failed; the waiting jobs wait for the next", e);
        return;
      }
    }
  }

  private boolean takeWorkerSlot() {
    while (true) {
      int a = active.get();
      if (a >= settings.workers()) {
        return false;
      }
      if (active.compareAndSet(a, a + 1)) {
        return true;
      }
    }
  }

  /**
   * A worker runs waiting runs one after the other and waits for more while it is idle for less
   * than {@link #WORKER_KEEP_ALIVE_NANOS}: a stream of short jobs costs no executor hand-off per
   * job (Payara captures the thread context of every task it is given, with class-path lookups).
   * While the instance shuts down a worker returns only when the hand-back is written: Payara ends
   * the JVM as soon as the last job thread returns.
   */
  private void work() {
    starting.decrementAndGet(); // from here it is counted as idle while it waits
    long idleSince = System.nanoTime();
    while (true) {
      Run run = nextRun();
      if (run != null) {
        execute(run);
        idleSince = System.nanoTime();
        continue;
      }
      if (stopping) {
        active.decrementAndGet();
        awaitShutdownDone();
        return;
      }
      if (System.nanoTime() - idleSince < WORKER_KEEP_ALIVE_NANOS) {
        continue;
      }
      active.decrementAndGet();
      // A run queued between the poll and the decrement may have found no worker: take it.
      if (ready.isEmpty() || !takeWorkerSlot()) {
        return;
      }
      idleSince = System.nanoTime();
    }
  }

  /** The next waiting run; when there is none, waits up to {@link #WORKER_POLL_MILLIS} for one. */
  private Run nextRun() {
    Run run = ready.poll();
    if (run != null || stopping) {
      return run;
    }
    synchronized (workWait) {
      idle.incrementAndGet();
      try {
        run = ready.poll(); // runs are queued before the notify, which needs this monitor
        if (run == null && !stopping) {
          workWait.wait(WORKER_POLL_MILLIS);
          run = ready.poll();
        }
      } catch (InterruptedException e) {
        Thread.interrupted(); // a worker stops only through the stopping flag
      } finally {
        idle.decrementAndGet();
      }
    }
    return run;
  }

  /** Wakes as many idle workers as runs were queued (one notify per run, not per queue add). */
  private void wakeWorkers(int queued) {
    if (queued > 0 && idle.get() > 0) {
      synchronized (workWait) {
        for (int i = Math.min(queued, idle.get()); i > 0; i--) {
          workWait.notify();
        }
      }
    }
  }

  private void execute(Run run) {
    if (run.stopReason != null) {
      released(run); // stopped while it waited; its outcome is recorded already
      return;
    }
    run.thread = Thread.currentThread();
    long began = System.nanoTime();
    run.startedNanos = began;
    RunOutcome outcome;
    try {
      if (run.handler == null) {
        throw new IllegalStateException(
            "No handler is registered for job type '" + run.job.type() + "'");
      }
      run.handler.run(run);
      run.closeResultQuietly();
      if (run.stopReason != null) {
        outcome = stoppedOutcome(run);
      } else if (run.warning != null) {
        Map<String, String> data = new HashMap<>(run.dataUpdates);
        data.put("warning", run.warning);
        outcome = ended(run, Cause.WARN, data, run.warning);
      } else {
        outcome = ended(run, Cause.SUCCEED, Map.copyOf(run.dataUpdates), null);
      }
    } catch (Throwable t) {
      run.closeResultQuietly();
      outcome =
          run.stopReason != null
              ? stoppedOutcome(run)
              : failure(run, t.getMessage() == null ? t.getClass().getName() : t.getMessage(), t);
    } finally {
      run.thread = null;
      Thread.interrupted(); // never hand an interrupted thread back to the pool
    }
    // a racy moving average is good enough to size the claims
    long took = System.nanoTime() - began;
    runNanos = runNanos <= 0 ? took : 0.95 * runNanos + 0.05 * took;
    finish(run, outcome);
    released(run);
  }

  private void released(Run run) {
    running.remove(run.job.id(), run);
    counter(run.job.type()).decrementAndGet();
    inHand.decrementAndGet();
    wakeDispatcher();
  }

  /** The outcome of a run that was stopped from outside (null: nothing to record). */
  private RunOutcome stoppedOutcome(Run run) {
    return switch (run.stopReason) {
      case CANCELED -> ended(run, Cause.STOP_CANCELED, Map.of(), "canceled on request");
      case TIMEOUT ->
          failure(
              run,
              "The job timed out after " + run.handler.settings().timeout().toMillis() + " ms.",
              null);
      case SUPERSEDED, SHUTDOWN -> null;
    };
  }

  /** A run that ended without an error: it completed, warned, or stopped on a cancel. */
  private static RunOutcome ended(Run run, Cause cause, Map<String, String> data, String message) {
    return new RunOutcome(
        run.job.id(), run.job.attempt(), cause, run.progress, data, null, null, 0, message);
  }

  /** A failed attempt: the job fails, or is retried after a backoff if attempts remain. */
  private RunOutcome failure(Run run, String message, Throwable t) {
    String trace = null;
    if (t != null) {
      StringWriter w = new StringWriter();
      t.printStackTrace(new PrintWriter(w));
      trace = w.toString();
    }
    long retryAt =
        System.currentTimeMillis()
            + types.settings(run.job.type()).backoffMillis(run.job.attempt());
    return new RunOutcome(
        run.job.id(),
        run.job.attempt(),
        Cause.FAIL,
        run.progress,
        Map.copyOf(run.dataUpdates),
        message,
        trace,
        retryAt,
        null);
  }

  private void finish(Run run, RunOutcome outcome) {
    synchronized (run) {
      if (run.finalized) {
        return;
      }
      run.finalized = true;
    }
    if (outcome == null) {
      return;
    }
    if (closing) {
      // Shutting down: the server ends the JVM as soon as the last job thread returns, so the
      // worker writes its own outcome before it does.
      try {
        queue.finish(instanceId, List.of(outcome), actor);
      } catch (Throwable e) {
        shutdownLog.write(
            "engine " + instanceId + ": recording the outcome of " + outcome.jobId() + " failed",
            e);
      }
    } else {
      outcomes.add(outcome);
    }
  }

  /** Stops a run from outside: interrupts its thread; cooperative handlers see cancelRequested. */
  private void stop(Run run, Run.StopReason reason) {
    if (run.stopReason != null) {
      return;
    }
    run.stopReason = reason;
    // The outcome is recorded now: a handler that ignores the interrupt cannot overwrite it.
    finish(run, stoppedOutcome(run));
    Thread t = run.thread;
    if (t != null) {
      t.interrupt();
    }
  }

  // ---- completing --------------------------------------------------------------------------

  private void completeLoop() {
    List<RunOutcome> batch = new ArrayList<>();
    while (!closing) {
      try {
        RunOutcome first = outcomes.poll(50, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        outcomes.drainTo(batch, COMPLETION_BATCH - 1);
        queue.finish(instanceId, batch, actor);
        batch.clear();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        LOG.log(Level.WARNING, "Recording " + batch.size() + " job outcomes failed; retrying", e);
        outcomes.addAll(batch);
        batch.clear();
        sleep(500);
      }
    }
  }

  // ---- heartbeat: progress, stop requests, timeouts, leases, recovery -----------------------

  private void tickLoop() {
    // Lease values are wall-clock times shared with the other instances; when to write them is
    // decided on the monotonic clock, so that a wall clock set back cannot pause the extensions.
    long nextLease = System.nanoTime();
    long nextRecovery = nextLease;
    while (!stopping) {
      try {
        long now = System.currentTimeMillis();
        long nowNanos = System.nanoTime();
        flushProgress();
        checkRuns(nowNanos);
        handBackStale(nowNanos);
        if (nowNanos - nextLease >= 0) {
          if (!running.isEmpty()) {
            queue.extendLeases(instanceId, now + settings.leaseMillis());
          }
          nextLease = nowNanos + settings.leaseMillis() / 3 * 1_000_000L;
        }
        if (nowNanos - nextRecovery >= 0) {
          if (queue.recoverExpired(now, 500, actor) > 0) {
            wakeDispatcher();
          }
          nextRecovery = nowNanos + settings.recoveryMillis() * 1_000_000L;
        }
      } catch (Exception e) {
        if (!stopping) {
          LOG.log(Level.WARNING, "Engine heartbeat failed; retrying", e);
        }
      }
      synchronized (tick) {
        if (stopChecks.isEmpty() && !stopping) {
          try {
            tick.wait(settings.tickMillis());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }
  }

  private void flushProgress() throws Exception {
    List<ProgressUpdate> updates = new ArrayList<>();
    for (Run run : running.values()) {
      int p = run.progress;
      if (p != run.flushedProgress && !run.finalized) {
        updates.add(new ProgressUpdate(run.job.id(), run.job.attempt(), p, run.progressAt));
        run.flushedProgress = p;
      }
    }
    queue.progress(instanceId, updates);
  }

  private void checkRuns(long nowNanos) throws Exception {
    stopChecks.clear();
    List<String> ids = new ArrayList<>();
    for (Run run : running.values()) {
      if (run.stopReason == null) {
        ids.add(run.job.id());
        if (run.handler != null
            && run.thread != null
            && nowNanos - run.startedNanos > run.handler.settings().timeout().toNanos()) {
          stop(run, Run.StopReason.TIMEOUT);
        }
      }
    }
    if (ids.isEmpty()) {
      return;
    }
    Map<String, RunState> states = queue.states(ids);
    for (String id : ids) {
      Run run = running.get(id);
      if (run == null || run.stopReason != null) {
        continue;
      }
      RunState state = states.get(id);
      if (state != null
          && state.status() == JobStatus.CANCEL_REQUESTED
          && instanceId.equals(state.leaseOwner())) {
        stop(run, Run.StopReason.CANCELED);
      } else if (state == null
          || state.status() != JobStatus.RUNNING
          || !instanceId.equals(state.leaseOwner())
          || state.attempt() != run.job.attempt()) {
        stop(run, Run.StopReason.SUPERSEDED);
      }
    }
  }

  /**
   * Runs claimed ahead wait for a worker only while the workers are busy with short jobs; if they
   * got stuck on long ones instead, the waiting runs go back to PENDING for any instance to take.
   */
  private void handBackStale(long nowNanos) throws Exception {
    List<String> ids = new ArrayList<>();
    for (Run run : ready) {
      if (nowNanos - run.claimedNanos > MAX_WAIT_NANOS && ready.remove(run)) {
        finish(run, null);
        released(run);
        ids.add(run.job.id());
      }
    }
    queue.handBack(instanceId, ids, actor, "handed back: no worker was free to start it");
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /**
   * When the server stops it closes the WAR's class loader before this engine is done, so a class
   * the shutdown path has not used yet cannot be loaded then. Run that path once now, on nothing:
   * its direct connections, statements and classes are all loaded before they are needed.
   */
  private void prepareShutdownPath() {
    directQueue = JobStore.direct();
    try {
      directQueue.warmUp(instanceId);
      shutdownLog.write("engine " + instanceId + " started", null);
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
  void undeployed() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException jvmIsStopping) {
      // the hook runs; nothing more to do here
    }
    shutdown();
  }

  /**
   * Stops claiming, lets running jobs finish for the grace period while recording their outcomes,
   * then hands the rest back as PENDING. Runs on a JVM shutdown hook because on SIGTERM the server
   * may end the process before the container calls {@code @PreDestroy}, and the container's
   * connection pool is gone by then: this uses direct connections.
   */
  private void shutdown() {
    if (!shutDown.compareAndSet(false, true)) {
      // The other path (hook or @PreDestroy) is at it: wait, so that the server's own shutdown,
      // which ends the JVM when it is done, does not overtake the hand-back.
      awaitShutdownDone();
      return;
    }
    try {
      queue = directQueue;
      stopping = true;
      closing = true; // the completer stops; outcomes are recorded here from now on
      wakeDispatcher();
      synchronized (tick) {
        tick.notifyAll();
      }
      // Runs that never started are handed back at once, with the unfinished ones.
      List<Run> unstarted = new ArrayList<>();
      for (Run run = ready.poll(); run != null; run = ready.poll()) {
        running.remove(run.job.id(), run);
        unstarted.add(run);
      }
      long deadline = System.nanoTime() + settings.shutdownGraceMillis() * 1_000_000L;
      while (!running.isEmpty() && System.nanoTime() - deadline < 0) {
        recordOutcomes();
        sleep(20);
      }
      // Write first, stop the runs after: the server's own shutdown waits for the job threads
      // and ends the JVM as soon as the last one returns.
      List<Run> left = new ArrayList<>(running.values());
      left.addAll(unstarted);
      for (Run run : left) {
        finish(run, null); // whatever it returns from now on is not recorded
      }
      recordOutcomes();
      try {
        List<String> ids = new ArrayList<>();
        for (Run run : left) {
          ids.add(run.job.id());
        }
        int handed =
            queue.handBack(instanceId, ids, actor, "handed back: the instance is shutting down");
        shutdownLog.write(
            "engine " + instanceId + " stopped; " + handed + " unfinished jobs handed back", null);
      } catch (Throwable e) {
        shutdownLog.write(
            "engine " + instanceId + ": handing jobs back failed; their leases will expire", e);
      }
      for (Run run : left) {
        run.stopReason = Run.StopReason.SHUTDOWN;
        Thread t = run.thread;
        if (t != null) {
          t.interrupt();
        }
      }
      loops.forEach(Thread::interrupt);
    } finally {
      shutdownDone.countDown();
    }
  }

  private void awaitShutdownDone() {
    try {
      shutdownDone.await(settings.shutdownGraceMillis() + 30_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void recordOutcomes() {
    List<RunOutcome> batch = new ArrayList<>();
    outcomes.drainTo(batch);
    if (batch.isEmpty()) {
      return;
    }
    try {
      queue.finish(instanceId, batch, actor);
    } catch (Throwable e) {
      shutdownLog.write(
          "engine " + instanceId + ": recording outcomes failed; their leases will expire", e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
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
