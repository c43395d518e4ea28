package dev.jobserver.store;

import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobRecord;
import dev.jobserver.store.RemoteLeases.Answer;
import dev.jobserver.store.RemoteLeases.Ended;
import dev.jobserver.store.RemoteLeases.RetryDelay;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How remote runs end: a worker's complete, fail or skip, fenced by its run's token (see {@link
 * RemoteLeases}) and recorded through the run ledger. A worker answers each job with its own call
 * and many workers answer at once, so endings that arrive while another's transaction is being
 * written share the next one ({@link GroupCommit}): their rows locked once in id order, each fenced
 * alone, the counters' rows updated once, one commit, and the jobs read back for the answers in the
 * same transaction.
 */
final class RemoteEndings {

  private final StoreSql store;
  private final Leases leases;
  private final RunLedger ledger;

  RemoteEndings(StoreSql store, Leases leases, RunLedger ledger) {
    this.store = store;
    this.leases = leases;
    this.ledger = ledger;
  }

  /** One worker's ending to record, and (once written) the answer it got. */
  private record Ending(
      String id,
      long token,
      String answer,
      Cause cause,
      String text,
      boolean finalFailure,
      RetryDelay retryDelay,
      String subject,
      Answer[] result,
      JobRecord[] job) {}

  /**
   * Endings that arrive while another's transaction is being written share the next one (one lock
   * of their rows in id order, one commit, the counters' rows updated once): a worker answers each
   * job with its own call, and many workers answer at once.
   */
  private final GroupCommit<Ending> endings = new GroupCommit<>(this::finishAll);

  /**
   * Records how a remote run ended, through the run ledger (the state machine decides: a run under
   * a cancel request ends canceled; a failure is retried while attempts remain). Fenced by the
   * token; the same answer again with the same token is {@link Answer#REPEATED}. Written with the
   * endings that other workers send meanwhile, in one transaction (each fenced alone, under its
   * row's lock); returns once it is committed, with the job as it stands then.
   *
   * @param answer what the worker answered (complete, fail, skip), kept for repeats
   * @param cause SUCCEED, SKIP or FAIL
   * @param text the message (complete), the reason (skip) or the error (fail)
   * @param finalFailure a failure that is not to be retried: the job fails whatever attempts
   *     remain, as a handler's non-retryable failure ({@link RunOutcome#asFinal()})
   * @param retryDelay the wait before a retry after a failure of this attempt
   * @param subject the worker token's subject: the event's actor is worker:<subject>/<worker>
   */
  Ended finish(
      String id,
      long token,
      String answer,
      Cause cause,
      String text,
      boolean finalFailure,
      RetryDelay retryDelay,
      String subject)
      throws SQLException {
    Ending e =
        new Ending(
            id,
            token,
            answer,
            cause,
            text,
            finalFailure,
            retryDelay,
            subject,
            new Answer[1],
            new JobRecord[1]);
    endings.write(e);
    return new Ended(e.result[0], e.job[0]);
  }

  private void finishAll(List<Ending> batch) throws SQLException {
    StoreSql.retryingDeadlocks(
        () -> {
          finishAllOnce(batch);
          return null;
        });
  }

  private void finishAllOnce(List<Ending> batch) throws SQLException {
    long now = leases.databaseMillis();
    try (Connection c = store.transaction()) {
      Map<String, RemoteLeases.Fence> fences =
          RemoteLeases.fences(c, batch.stream().map(Ending::id).toList());
      Map<String, String> answered = new HashMap<>(); // by an earlier ending here
      Statements statements = new Statements(store, c);
      List<Ending> done = new ArrayList<>();
      try (PreparedStatement answers =
          c.prepareStatement("UPDATE job SET lease_answer = ? WHERE id = ?")) {
        for (Ending e : batch) {
          RemoteLeases.Fence f = fences.get(e.id);
          String before = f == null ? null : answered.getOrDefault(e.id, f.answer());
          if (f == null) {
            e.result[0] = Answer.NOT_FOUND;
          } else if (f.token() != e.token) {
            e.result[0] = Answer.LOST;
          } else if (before != null) {
            e.result[0] = before.equals(e.answer) ? Answer.REPEATED : Answer.LOST;
          } else if (!f.live(now)) {
            e.result[0] = Answer.LOST;
          } else {
            e.result[0] = Answer.DONE;
            answered.put(e.id, e.answer);
            answers.setString(1, e.answer);
            answers.setString(2, e.id);
            answers.addBatch();
            done.add(e);
          }
        }
        if (!done.isEmpty()) {
          answers.executeBatch();
        }
      }
      for (Ending e : done) {
        RemoteLeases.Fence f = fences.get(e.id);
        boolean failed = e.cause == Cause.FAIL;
        RunOutcome o =
            new RunOutcome(
                e.id,
                f.row().attempt,
                e.cause,
                failed ? 0 : 100,
                Map.of(),
                failed ? e.text : null,
                failed ? e.text : null,
                failed ? now + e.retryDelay.millis(f.row().type, f.row().attempt) : 0,
                failed ? null : e.text);
        String actor = "worker:" + e.subject + "/" + RemoteLeases.workerOf(f.row().leaseOwner);
        ledger.finishIn(
            c,
            statements,
            f.row().leaseOwner,
            List.of(e.finalFailure ? o.asFinal() : o),
            actor,
            System.currentTimeMillis(),
            Map.of(e.id, f.row()));
      }
      statements.executeAll();
      // the jobs as they stand now, for the answers: read in this transaction, all at once
      Map<String, JobRecord> jobs = JobListSql.byIds(c, fences.keySet());
      for (Ending e : batch) {
        e.job[0] = jobs.get(e.id);
      }
      store.commit(c, statements);
    }
  }
}
