package dev.jobserver.engine;

import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.StoreException;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.RunOutcome;
import dev.jobserver.store.RunStart;
import dev.jobserver.store.Text;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Records that runs started (their reserved jobs become RUNNING) and how runs ended, many in one
 * transaction; a run that started and ended since the last write is written in one statement.
 * Starts are written as soon as the recorder gets to them, so a job reads RUNNING within a
 * transaction's time of its handler starting, with {@code start_at} the moment it started. A start
 * the database refuses (the job was canceled or changed while reserved) stops its run. What the
 * database refuses hurts only its own job: a batch that fails is written again outcome by outcome;
 * an outcome refused alone is written once more with its text sanitised, and if that is refused too
 * the job fails with a message saying why. While the database cannot be reached, outcomes wait here
 * (at most one per run this instance holds, since nothing new is claimed meanwhile) and are written
 * when it answers again.
 */
final class OutcomeRecorder {

  static final int BATCH = 500;

  /** The smallest batch the recorder shrinks to while the database is busy (see {@link #write}). */
  static final int MIN_BATCH = 25;

  /** Most items the next write takes: halved when the database was busy, doubled back after. */
  private volatile int batchLimit = BATCH;

  /** Characters of a message kept when an outcome is written sanitised. */
  static final int SANITISED_MESSAGE = 1000;

  private static final Logger LOG = Logger.getLogger(OutcomeRecorder.class.getName());

  /**
   * A start (of {@code run}), an end ({@code outcome}), or a job to let go ({@code released}: its
   * stopped run's thread has returned) to write, in the order they were queued.
   */
  record Item(Run run, RunOutcome outcome, String released) {
    Item(Run run, RunOutcome outcome) {
      this(run, outcome, null);
    }

    String jobId() {
      return run != null ? run.job.id() : outcome != null ? outcome.jobId() : released;
    }
  }

  private final LinkedBlockingDeque<Item> queue = new LinkedBlockingDeque<>();
  private final Supplier<JobStore> store;
  private final String owner;
  private final String actor;
  private final Consumer<String> refusedStart;

  /**
   * Items are taken from the queue only under this lock and written before it is let go, so that
   * whoever writes (the loop, or the shutdown's flush) writes them in the order they were queued: a
   * run's start before its end, its end before its release.
   */
  private final Object writeLock = new Object();

  /** Told when an item is queued (the loop waits on it without taking anything). */
  private final Object arrivals = new Object();

  /** The batch being written now (empty between writes). */
  private volatile List<Item> writing = List.of();

  /**
   * @param refusedStart told the id of a job whose start was refused (its run must stop)
   */
  OutcomeRecorder(
      Supplier<JobStore> store, String owner, String actor, Consumer<String> refusedStart) {
    this.store = store;
    this.owner = owner;
    this.actor = actor;
    this.refusedStart = refusedStart;
  }

  /** Queues the start of a run; the recorder's loop writes it. */
  void started(Run run) {
    add(new Item(run, null));
  }

  /** Queues an outcome; the recorder's loop writes it. */
  void record(RunOutcome outcome) {
    add(new Item(null, outcome));
  }

  /**
   * Queues the release of a job whose stopped run's thread has returned: after its outcome (written
   * with the lease kept), the lease is given up and any instance may start the job again.
   */
  void release(String jobId) {
    add(new Item(null, null, jobId));
  }

  private void add(Item item) {
    queue.add(item);
    synchronized (arrivals) {
      arrivals.notifyAll();
    }
  }

  /**
   * Writes a run's start now, on the calling thread (its handler is about to write a result, which
   * only the job's running attempt may do).
   *
   * @throws IllegalStateException if the start was refused: the job is no longer this run's
   */
  void writeStart(Run run) {
    try {
      Set<String> refused = store.get().record(owner, List.of(start(run)), List.of(), actor);
      if (!refused.isEmpty()) {
        throw new IllegalStateException(
            "Job " + run.job.id() + " is no longer this run's (canceled or changed meanwhile)");
      }
      run.startWritten = true;
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot record the start of job " + run.job.id(), e);
    }
  }

  /** Outcomes waiting to be written. */
  int waiting() {
    return queue.size();
  }

  /**
   * Whether starts or outcomes wait to be written or are being written now: their jobs are still
   * RUNNING (or reserved) under this instance's leases, which the heartbeat must keep. A batch
   * being written is out of the queue, and a write may hang as long as the socket timeout.
   */
  boolean holding() {
    return !writing.isEmpty() || !queue.isEmpty();
  }

  /**
   * The jobs whose start, outcome or release waits to be written or is being written now: they are
   * still this instance's, and the heartbeat keeps their leases.
   */
  Set<String> held() {
    Set<String> ids = new java.util.HashSet<>();
    for (Item item : writing) {
      ids.add(item.jobId());
    }
    for (Item item : queue) {
      ids.add(item.jobId());
    }
    return ids;
  }

  /**
   * One turn of the loop: waits up to 50 ms for an outcome, then writes it with whatever else is
   * waiting. Throws (and keeps the outcomes) when the database cannot be reached.
   */
  void step() throws InterruptedException, SQLException {
    synchronized (arrivals) {
      if (queue.isEmpty()) {
        arrivals.wait(50);
      }
    }
    synchronized (writeLock) {
      List<Item> batch = new ArrayList<>();
      if (queue.drainTo(batch, batchLimit) > 0) {
        write(batch);
      }
    }
  }

  /** Writes everything waiting now (shutdown); throws if the database cannot be reached. */
  void flush() throws SQLException {
    synchronized (writeLock) {
      List<Item> batch = new ArrayList<>();
      while (queue.drainTo(batch, BATCH) > 0) {
        write(batch);
        batch.clear();
      }
    }
  }

  /**
   * Writes a batch; on failure, its starts together and then each outcome alone. What was not
   * written because the database cannot be reached or is busy goes back to the front of the queue
   * and the failure is thrown. After a busy one (a lock or statement timeout, a deadlock) the next
   * batches are smaller, holding fewer locks for less time, and grow back as writes go through.
   */
  void write(List<Item> batch) throws SQLException {
    synchronized (writeLock) {
      writing = List.copyOf(batch);
      try {
        writeBatch(batch);
        batchLimit = Math.min(BATCH, batchLimit * 2);
      } catch (SQLException e) {
        if (StoreException.isBusy(e)) {
          batchLimit = Math.max(MIN_BATCH, batchLimit / 2);
        }
        throw e;
      } finally {
        writing = List.of(); // after a failure, what was not written is back in the queue already
      }
    }
  }

  private void writeBatch(List<Item> batch) throws SQLException {
    List<RunStart> starts = new ArrayList<>();
    List<Run> started = new ArrayList<>();
    List<RunOutcome> ends = new ArrayList<>();
    List<Item> releases = new ArrayList<>();
    for (Item item : batch) {
      if (item.run() != null) {
        starts.add(start(item.run()));
        started.add(item.run());
      } else if (item.outcome() != null) {
        ends.add(item.outcome());
      } else {
        releases.add(item);
      }
    }
    List<Item> written = new ArrayList<>(batch);
    written.removeAll(releases);
    writeStartsAndEnds(written, started, starts, ends, releases);
    // every end of the batch is written: each release follows its job's end
    List<String> ids = new ArrayList<>();
    for (Item item : releases) {
      ids.add(item.released());
    }
    try {
      store.get().release(owner, ids);
    } catch (SQLException e) {
      requeue(releases, List.of()); // nothing but an unreachable database refuses these
      throw e;
    }
  }

  /**
   * Writes the starts and ends of a batch; on failure, its starts together and then each outcome
   * alone. What is not written goes back to the front of the queue, followed by {@code after} (the
   * batch's releases, which must not overtake them).
   */
  private void writeStartsAndEnds(
      List<Item> batch,
      List<Run> started,
      List<RunStart> starts,
      List<RunOutcome> ends,
      List<Item> after)
      throws SQLException {
    if (batch.isEmpty()) {
      return;
    }
    try {
      written(started, store.get().record(owner, starts, ends, actor));
      return;
    } catch (SQLException e) {
      if (isTransient(e)) {
        requeue(batch, after);
        throw e;
      }
      LOG.log(
          Level.WARNING,
          "Recording "
              + batch.size()
              + " starts and outcomes together failed; recording each alone",
          e);
    }
    try {
      written(started, store.get().record(owner, starts, List.of(), actor));
    } catch (SQLException e) {
      // starts carry nothing of the handler's: only an unreachable database refuses them
      requeue(batch, after);
      throw e;
    }
    for (int i = 0; i < ends.size(); i++) {
      try {
        writeAlone(ends.get(i));
      } catch (SQLException unavailable) {
        List<Item> rest = new ArrayList<>();
        for (RunOutcome o : ends.subList(i, ends.size())) {
          rest.add(new Item(null, o));
        }
        requeue(rest, after);
        throw unavailable;
      }
    }
  }

  private void written(List<Run> started, Set<String> refused) {
    for (Run run : started) {
      if (refused.contains(run.job.id())) {
        refusedStart.accept(run.job.id());
      } else {
        run.startWritten = true;
      }
    }
  }

  private static RunStart start(Run run) {
    return new RunStart(
        run.job.id(), run.job.type(), run.job.attempt(), run.startedMillis, run.job.dueAt());
  }

  private void writeAlone(RunOutcome o) throws SQLException {
    SQLException refused;
    try {
      store.get().finish(owner, List.of(o), actor);
      return;
    } catch (SQLException e) {
      if (isTransient(e)) {
        throw e;
      }
      refused = e;
    }
    LOG.log(
        Level.WARNING,
        "The database refused the outcome of job " + o.jobId() + "; recording it sanitised",
        refused);
    try {
      store.get().finish(owner, List.of(sanitised(o)), actor);
      return;
    } catch (SQLException e) {
      if (isTransient(e)) {
        throw e;
      }
      refused = e;
    }
    try {
      store.get().finish(owner, List.of(unrecordable(o, refused)), actor);
    } catch (SQLException e) {
      if (isTransient(e)) {
        throw e;
      }
      // Nothing of it can be written: its lease expires and recovery takes the job over.
      LOG.log(Level.SEVERE, "Cannot record any outcome of job " + o.jobId(), e);
    }
  }

  /**
   * A failure that says nothing of the outcome: the database cannot be reached, or it is busy (it
   * canceled a statement for its lock or statement timeout, or aborted the transaction to break a
   * deadlock after the store's own retries). The outcome is written again later as it is; it is
   * never sanitised or failed for it.
   */
  private static boolean isTransient(SQLException e) {
    return StoreException.isUnavailable(e) || StoreException.isBusy(e) || JobStore.isDeadlock(e);
  }

  /** Most items the next write takes (for tests). */
  int batchLimit() {
    return batchLimit;
  }

  /** Puts items back at the front of the queue, in their order, followed by {@code after}. */
  private void requeue(List<Item> items, List<Item> after) {
    for (int i = after.size() - 1; i >= 0; i--) {
      queue.addFirst(after.get(i));
    }
    for (int i = items.size() - 1; i >= 0; i--) {
      queue.addFirst(items.get(i));
    }
  }

  /** The same outcome with every text cleaned of what databases refuse, and cut short. */
  static RunOutcome sanitised(RunOutcome o) {
    Map<String, String> data = new LinkedHashMap<>();
    o.data().forEach((k, v) -> data.put(Text.clean(k), Text.column(v, SANITISED_MESSAGE)));
    return new RunOutcome(
        o.jobId(),
        o.attempt(),
        o.cause(),
        o.progress(),
        data,
        Text.column(o.error(), SANITISED_MESSAGE),
        Text.column(o.stacktrace(), 16_000),
        o.retryAt(),
        Text.column(o.message(), SANITISED_MESSAGE),
        false,
        o.finalFailure());
  }

  /** The run fails with a message that says its outcome could not be stored, in plain ASCII. */
  static RunOutcome unrecordable(RunOutcome o, SQLException refused) {
    String why = refused.getMessage() == null ? refused.getClass().getName() : refused.getMessage();
    String message =
        ("The outcome of this run could not be stored (" + o.cause() + "): " + why)
            .replaceAll("[^\\x20-\\x7e]", "?");
    if (message.length() > SANITISED_MESSAGE) {
      message = message.substring(0, SANITISED_MESSAGE);
    }
    return new RunOutcome(
        o.jobId(), o.attempt(), Cause.FAIL, o.progress(), Map.of(), message, null, 0, null);
  }
}
