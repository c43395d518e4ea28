package dev.jobserver.engine;

import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.store.RunOutcome;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs one claimed job's handler on the calling worker and turns how it ended into a {@link
 * RunOutcome}; stops runs from outside (cancel, requeue, timeout), recording the outcome at once so
 * that a handler that ignores the interrupt cannot overwrite it. Each run's outcome is handed on
 * once, and the run is let go when its handler has returned.
 *
 * <p>Never two runs at once: a run stopped from outside may go on (a handler blocked in I/O does
 * not see the interrupt), so its outcome is written with the job still leased by this instance, and
 * the lease is given up ({@code letGo}) only when the thread has returned. Until then the heartbeat
 * keeps the lease, and no instance can claim the job.
 */
final class Runner {

  private final EngineClock clock;
  private final JobTypeRegistry types;
  private final Runs runs;
  private final Consumer<Run> starts;
  private final Consumer<RunOutcome> outcomes;
  private final Consumer<String> letGo;
  private final Runnable released;

  /** Moving average of recent handler run times (ns); 0 until the first run ends. */
  private volatile double runNanos;

  /**
   * @param starts told of every run whose handler starts (the recorder writes it)
   * @param outcomes where outcomes go (the recorder)
   * @param letGo told the id of a job whose stopped run's thread has returned, after its outcome
   *     (the recorder gives up the lease in that order)
   * @param released called when a run has let its job go (there is room for another)
   */
  Runner(
      EngineClock clock,
      JobTypeRegistry types,
      Runs runs,
      Consumer<Run> starts,
      Consumer<RunOutcome> outcomes,
      Consumer<String> letGo,
      Runnable released) {
    this.clock = clock;
    this.types = types;
    this.runs = runs;
    this.starts = starts;
    this.outcomes = outcomes;
    this.letGo = letGo;
    this.released = released;
  }

  /** The average time recent runs took, in ns (0 before the first). */
  double averageRunNanos() {
    return runNanos;
  }

  /** Runs the job's handler on this thread, then records and releases the run. */
  void execute(Run run) {
    if (run.stopReason != null) {
      release(run); // stopped while it waited; its outcome is recorded already
      return;
    }

    run.started();
    starts.accept(run);
    long began = run.startedNanos;
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
      } else if (run.skipped != null) {
        Map<String, String> data = new HashMap<>(run.dataUpdates);
        data.put("skipped", run.skipped);
        outcome = ended(run, Cause.SKIP, data, "skipped: " + run.skipped);
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
    long took = clock.nanos() - began;
    runNanos = runNanos <= 0 ? took : 0.95 * runNanos + 0.05 * took;
    complete(run, outcome);
    release(run);
  }

  /** Stops a run from outside: interrupts its thread; cooperative handlers see cancelRequested. */
  void stop(Run run, Run.StopReason reason) {
    if (run.stopReason != null) {
      return;
    }
    run.stopReason = reason;
    // The outcome is recorded now: a handler that ignores the interrupt cannot overwrite it. The
    // thread may go on: the job stays leased here until it has returned (see release).
    RunOutcome outcome = stoppedOutcome(run);
    complete(run, outcome == null ? null : outcome.keepingLease());
    Thread t = run.thread;
    if (t != null) {
      t.interrupt();
    }
  }

  /** From now on nothing of this run is recorded (it is handed back or its instance stops). */
  void disown(Run run) {
    complete(run, null);
  }

  /**
   * Lets the run's job go: another run of it may be taken on, and there is room for more. A run
   * that was stopped from outside gives up the job's lease here too, after its outcome.
   */
  void release(Run run) {
    if (run.stopReason != null && runs.get(run.job.id()) == run) {
      letGo.accept(run.job.id()); // queued before the run leaves: the heartbeat keeps the lease
    }
    if (runs.remove(run)) {
      released.run();
    }
  }

  /** Hands the outcome on, once per run (null: nothing to record). */
  private void complete(Run run, RunOutcome outcome) {
    synchronized (run) {
      if (run.finalized) {
        return;
      }
      run.finalized = true;
    }
    if (outcome != null) {
      outcomes.accept(outcome);
    }
  }

  /** The outcome of a run that was stopped from outside (null: nothing to record). */
  private RunOutcome stoppedOutcome(Run run) {
    // no switch on the enum: javac would put its table in a class of its own (Runner$1), loaded
    // at the first stop, which after an undeploy is a run the shutdown stopped, when the server has
    // closed the application's class loader already (NoClassDefFoundError in the domain's log)
    Run.StopReason reason = run.stopReason;
    if (reason == Run.StopReason.CANCELED) {
      return ended(run, Cause.STOP_CANCELED, Map.of(), "canceled on request");
    }
    if (reason == Run.StopReason.TIMEOUT) {
      return failure(
          run,
          "The job timed out after " + run.handler.settings().timeout().toMillis() + " ms.",
          null);
    }
    return null; // superseded, or the instance shuts down: nothing of the run is recorded
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
    long wait = types.settings(run.job.type()).backoffMillis(run.job.attempt());
    if (t instanceof JobFailure f && f.retryAfter() != null) {
      wait = Math.max(0, f.retryAfter().toMillis());
    }
    RunOutcome outcome =
        new RunOutcome(
            run.job.id(),
            run.job.attempt(),
            Cause.FAIL,
            run.progress,
            Map.copyOf(run.dataUpdates),
            message,
            trace,
            clock.millis() + wait,
            null);
    return t instanceof JobFailure f && !f.retryable() ? outcome.asFinal() : outcome;
  }
}
