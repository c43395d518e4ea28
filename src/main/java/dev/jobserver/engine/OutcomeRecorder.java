package dev.jobserver.engine;

import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.StoreException;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.RunOutcome;
import dev.jobserver.store.Text;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Records how runs ended, many in one transaction. What the database refuses hurts only its own
 * job: a batch that fails is written again outcome by outcome; an outcome refused alone is written
 * once more with its text sanitised, and if that is refused too the job fails with a message saying
 * why. While the database cannot be reached, outcomes wait here (at most one per run this instance
 * holds, since nothing new is claimed meanwhile) and are written when it answers again.
 */
final class OutcomeRecorder {

  static final int BATCH = 500;

  /** Characters of a message kept when an outcome is written sanitised. */
  static final int SANITISED_MESSAGE = 1000;

  private static final Logger LOG = Logger.getLogger(OutcomeRecorder.class.getName());

  private final LinkedBlockingDeque<RunOutcome> queue = new LinkedBlockingDeque<>();
  private final Supplier<JobStore> store;
  private final String owner;
  private final String actor;

  OutcomeRecorder(Supplier<JobStore> store, String owner, String actor) {
    this.store = store;
    this.owner = owner;
    this.actor = actor;
  }

  /** Queues an outcome; the recorder's loop writes it. */
  void record(RunOutcome outcome) {
    queue.add(outcome);
  }

  /** Outcomes waiting to be written. */
  int waiting() {
    return queue.size();
  }

  /**
   * One turn of the loop: waits up to 50 ms for an outcome, then writes it with whatever else is
   * waiting. Throws (and keeps the outcomes) when the database cannot be reached.
   */
  void step() throws InterruptedException, SQLException {
    RunOutcome first = queue.poll(50, TimeUnit.MILLISECONDS);
    if (first != null) {
      List<RunOutcome> batch = new ArrayList<>();
      batch.add(first);
      queue.drainTo(batch, BATCH - 1);
      write(batch);
    }
  }

  /** Writes everything waiting now (shutdown); throws if the database cannot be reached. */
  void flush() throws SQLException {
    List<RunOutcome> batch = new ArrayList<>();
    while (queue.drainTo(batch, BATCH) > 0) {
      write(batch);
      batch.clear();
    }
  }

  /**
   * Writes a batch; on failure, each outcome alone. Outcomes not written because the database
   * cannot be reached go back to the front of the queue and the failure is thrown.
   */
  void write(List<RunOutcome> batch) throws SQLException {
    try {
      store.get().finish(owner, batch, actor);
      return;
    } catch (SQLException e) {
      if (StoreException.isUnavailable(e)) {
        requeue(batch);
        throw e;
      }
      if (batch.size() > 1) {
        LOG.log(
            Level.WARNING,
            "Recording " + batch.size() + " outcomes together failed; recording each alone",
            e);
      }
    }
    for (int i = 0; i < batch.size(); i++) {
      try {
        writeAlone(batch.get(i));
      } catch (SQLException unavailable) {
        requeue(batch.subList(i, batch.size()));
        throw unavailable;
      }
    }
  }

  private void writeAlone(RunOutcome o) throws SQLException {
    SQLException refused;
    try {
      store.get().finish(owner, List.of(o), actor);
      return;
    } catch (SQLException e) {
      if (StoreException.isUnavailable(e)) {
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
      if (StoreException.isUnavailable(e)) {
        throw e;
      }
      refused = e;
    }
    try {
      store.get().finish(owner, List.of(unrecordable(o, refused)), actor);
    } catch (SQLException e) {
      if (StoreException.isUnavailable(e)) {
        throw e;
      }
      // Nothing of it can be written: its lease expires and recovery takes the job over.
      LOG.log(Level.SEVERE, "Cannot record any outcome of job " + o.jobId(), e);
    }
  }

  private void requeue(List<RunOutcome> outcomes) {
    for (int i = outcomes.size() - 1; i >= 0; i--) {
      queue.addFirst(outcomes.get(i));
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
        Text.column(o.message(), SANITISED_MESSAGE));
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
