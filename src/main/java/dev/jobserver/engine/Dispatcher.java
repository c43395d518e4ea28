package dev.jobserver.engine;

import dev.jobserver.store.ClaimedJob;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.ResultStore;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Claims due jobs for this instance and hands them to the workers. A claim is a reservation: the
 * job stays PENDING to every reader until a worker starts it. A claim takes the free worker slots
 * plus, for short jobs, as many more as the workers will start within about {@link
 * #PREFETCH_WAIT_NANOS} (judged by the average run time of recent jobs), so that one claim round
 * trip serves more jobs than there are workers; long jobs are never claimed ahead. A job created on
 * this instance wakes it at once; otherwise it polls, backing off while there is nothing to do.
 */
final class Dispatcher {

  /** Claim ahead only what the workers start within this time. */
  static final double PREFETCH_WAIT_NANOS = 5_000_000;

  /**
   * At most this many times the workers' number of runs claimed ahead. For jobs of a few
   * microseconds this cap, not the time above, sets the claim's size, and with it how many claims
   * (each a transaction of four round trips) a drain takes: 4 drained 50,000 noop jobs at 9,580 and
   * 10,638 jobs/s, 12 at 12,929 and 12,559, 16 and 32 no faster (bench/HISTORY.md, 2026-12-08).
   */
  static final int MAX_PREFETCH_FACTOR = 12;

  private final EngineSettings settings;
  private final EngineClock clock;
  private final Supplier<JobStore> store;
  private final ResultStore results;
  private final JobTypeRegistry types;
  private final Runs runs;
  private final WorkerPool pool;
  private final Runner runner;
  private final String owner;
  private final Run.StartWriter startWriter;

  private final Object wake = new Object();
  private boolean wakeRequested;
  private volatile boolean stopping;

  /** Whether the last claim filled all the room (more work is waiting). */
  private boolean backlog;

  private long idleWait;

  Dispatcher(
      EngineSettings settings,
      EngineClock clock,
      Supplier<JobStore> store,
      ResultStore results,
      JobTypeRegistry types,
      Runs runs,
      WorkerPool pool,
      Runner runner,
      String owner,
      Run.StartWriter startWriter) {
    this.settings = settings;
    this.clock = clock;
    this.store = store;
    this.results = results;
    this.types = types;
    this.runs = runs;
    this.pool = pool;
    this.runner = runner;
    this.owner = owner;
    this.startWriter = startWriter;
    this.idleWait = settings.pollMinMillis();
  }

  /** A job was created here, or a run ended: look for work at once. */
  void wake() {
    synchronized (wake) {
      wakeRequested = true;
      wake.notifyAll();
    }
  }

  void stop() {
    stopping = true;
    wake();
  }

  /**
   * How many runs may be in hand (running, or claimed and waiting for a worker): the workers, plus
   * as many claimed ahead as the workers start within about {@link #PREFETCH_WAIT_NANOS}.
   */
  int capacity() {
    int workers = settings.workers();
    double avg = runner.averageRunNanos();
    if (avg <= 0) {
      return workers;
    }
    double ahead = workers * (PREFETCH_WAIT_NANOS / avg);
    return workers + (int) Math.min(ahead, (double) workers * MAX_PREFETCH_FACTOR);
  }

  /**
   * One turn of the loop: claims what there is room for, then waits for a wake-up or the poll
   * interval unless more work is waiting. A failed claim throws (the loop backs off).
   */
  void step() throws SQLException, InterruptedException {
    if (stopping) {
      return;
    }
    if (backlog) {
      awaitRoom();
    }
    int room = capacity() - runs.inHand();
    int claimed = 0;
    try {
      if (room > 0) {
        claimed = claim(room);
      }
    } finally {
      // A claim that filled all the room means more work is waiting.
      backlog = claimed > 0 && claimed == room;
    }
    if (backlog) {
      idleWait = settings.pollMinMillis();
      if (capacity() - runs.inHand() > 0) {
        return; // more may be waiting and there is room: claim again at once
      }
    }
    synchronized (wake) {
      if (!wakeRequested && !stopping) {
        wake.wait(idleWait);
      }
      boolean woken = wakeRequested;
      wakeRequested = false;
      idleWait =
          woken || claimed > 0
              ? settings.pollMinMillis()
              : Math.min(idleWait * 2, settings.pollMaxMillis());
    }
  }

  /**
   * Reserves up to {@code room} due jobs, in priority order across all types, and hands them to the
   * workers. A type with a concurrency limit takes part with its free slots here, so the claim
   * itself keeps the limit (nothing is claimed only to be given back) and a type at its limit is
   * skipped, never waited for.
   *
   * @return how many were claimed
   */
  int claim(int room) throws SQLException {
    Map<String, Integer> limited = new LinkedHashMap<>();
    for (JobHandler h : types.builtIn()) {
      int max = h.settings().maxConcurrent();
      if (max > 0) {
        limited.put(h.type(), Math.max(0, max - runs.ofType(h.type())));
      }
    }
    // remote types take part with no slots: their jobs are for the workers that claim them
    for (String remote : types.remoteTypes().keySet()) {
      limited.put(remote, 0);
    }
    // a job whose earlier run is still alive here (requeued, stopped, not yet returned) waits
    List<String> stillRunning = new ArrayList<>();
    for (Run run : runs.all()) {
      if (run.stopReason != null) {
        stillRunning.add(run.job.id());
      }
    }
    long now = clock.millis();
    List<ClaimedJob> claimed =
        store.get().reserve(owner, room, now, now + settings.leaseMillis(), limited, stillRunning);
    List<Run> toStart = new ArrayList<>();
    List<String> giveUp = new ArrayList<>();
    for (ClaimedJob job : claimed) {
      JobHandler handler = types.handler(job.type());
      if (handler == null && types.remoteType(job.type()) != null) {
        giveUp.add(job.id()); // declared remote a moment ago on another instance
        continue;
      }
      Run run = new Run(job, handler, results, clock, owner, startWriter);
      if (runs.add(run)) {
        toStart.add(run);
      } else {
        giveUp.add(job.id()); // an old run of it is alive here after all: never two at once
      }
    }
    pool.offer(toStart);
    store.get().release(owner, giveUp);
    return claimed.size();
  }

  /**
   * With work waiting, each finished run would otherwise trigger a claim of one job: let room free
   * up for a moment (until half the capacity is free, at most 2 ms) and claim it in one statement.
   */
  private void awaitRoom() throws InterruptedException {
    long deadline = clock.nanos() + 2_000_000L;
    synchronized (wake) {
      while (!stopping) {
        int capacity = capacity();
        if (capacity - runs.inHand() >= Math.max(1, capacity / 2)) {
          break;
        }
        long left = deadline - clock.nanos();
        if (left <= 0) {
          break;
        }
        wake.wait(left / 1_000_000L, (int) (left % 1_000_000L));
      }
      wakeRequested = false;
    }
  }
}
