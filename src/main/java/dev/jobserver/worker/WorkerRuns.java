package dev.jobserver.worker;

import dev.jobserver.engine.JobTypeRegistry;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.StoreException;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.RemoteLeases;
import dev.jobserver.store.ResultStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.sql.SQLException;

/**
 * What a worker does with a job it claimed: heartbeats, its ending, its result file; each fenced by
 * the run's lease token (see {@link RemoteLeases}).
 */
@ApplicationScoped
public class WorkerRuns {

  /** A result upload past the limit. */
  public static final class TooLarge extends RuntimeException {
    public TooLarge(long limit) {
      super("The result is larger than " + limit + " bytes (JOBSERVER_RESULT_MAX_BYTES).");
    }
  }

  /** The lease of the token is lost, or the token is not the job's. */
  public static final class LeaseLost extends RuntimeException {
    public LeaseLost(String message) {
      super(message);
    }
  }

  @Inject private JobStore store;
  @Inject private JobTypeRegistry types;
  @Inject private ResultStore results;
  @Inject private WorkerSightings sightings;

  public RemoteLeases.Beat heartbeat(
      String id, long token, Integer progress, String message, String subject) {
    RemoteLeases.Beat beat;
    try {
      beat =
          store
              .remote()
              .heartbeat(
                  id, token, progress, message, type -> types.settings(type).timeout().toMillis());
    } catch (SQLException e) {
      throw StoreException.of("Extending the lease failed", e);
    }
    if (beat.answer() == RemoteLeases.Answer.DONE) {
      sightings.heartbeat();
      sightings.seen(subject, beat.worker(), null);
    }
    return beat;
  }

  /** A worker's write was refused for a lost lease (metrics). */
  public void leaseLost() {
    sightings.leaseLost();
  }

  /**
   * Records the run's end.
   *
   * @param retryAfterSeconds the wait before a retry (null: the backoff of the job's type)
   * @return how it was answered (NOT_FOUND when the job does not exist), and the job
   */
  public RemoteLeases.Ended finish(
      String id,
      long token,
      String answer,
      Cause cause,
      String text,
      boolean retryable,
      Integer retryAfterSeconds,
      String subject) {
    try {
      return store
          .remote()
          .finish(
              id,
              token,
              answer,
              cause,
              text,
              cause == Cause.FAIL && !retryable,
              (type, attempt) ->
                  retryAfterSeconds != null
                      ? retryAfterSeconds * 1000L
                      : types.settings(type).backoffMillis(attempt),
              subject);
    } catch (SQLException e) {
      throw StoreException.of("Recording the run's end failed", e);
    }
  }

  /**
   * Streams the run's result file into the store, at most {@code limit} bytes; a result that is
   * larger is removed, a run that loses its lease meanwhile writes nothing more.
   */
  public void result(
      String id, long token, String fileName, String contentType, InputStream in, long limit)
      throws IOException {
    Object[] run;
    try {
      run = store.remote().liveRun(id, token);
    } catch (SQLException e) {
      throw StoreException.of("Reading the run failed", e);
    }
    if (run == null) {
      throw new LeaseLost("The lease of token " + token + " on job " + id + " is lost.");
    }
    String owner = (String) run[0];
    int attempt = (int) run[1];
    OutputStream out;
    try {
      out = results.open(id, attempt, owner, fileName, contentType);
    } catch (IllegalStateException e) {
      throw new LeaseLost(e.getMessage());
    }
    long written = 0;
    byte[] buf = new byte[64 * 1024];
    boolean complete = false;
    try {
      int n;
      while ((n = in.read(buf)) > 0) {
        written += n;
        if (written > limit) {
          throw new TooLarge(limit);
        }
        out.write(buf, 0, n);
      }
      complete = true;
      out.close();
    } catch (IOException e) {
      if (!complete) {
        discard(id, owner);
      }
      if (complete || stillHeld(id, token) == null) {
        throw new LeaseLost(e.getMessage()); // the fence refused a chunk or the close
      }
      throw e;
    } catch (RuntimeException e) {
      discard(id, owner);
      throw e;
    }
  }

  private Object[] stillHeld(String id, long token) {
    try {
      return store.remote().liveRun(id, token);
    } catch (SQLException e) {
      return null;
    }
  }

  private void discard(String id, String owner) {
    try {
      store.remote().discardResult(id, owner);
    } catch (SQLException e) {
      throw StoreException.of("Removing a partial result failed", e);
    }
  }
}
