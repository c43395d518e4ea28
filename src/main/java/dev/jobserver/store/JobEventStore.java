package dev.jobserver.store;

import dev.jobserver.job.JobStatus;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;

/**
 * The job_event table: one row per status change, written in the transaction of the change by
 * {@link JobStore} (the only writer of jobs and their events).
 */
final class JobEventStore {

  static final String INSERT =
      "INSERT INTO job_event (job_id, at, actor, old_status, new_status, message)"
          + " VALUES (?, ?, ?, ?, ?, ?)";

  /** The message column's size. */
  static final int MAX_MESSAGE = 4000;

  /** The actor column's size. */
  static final int MAX_ACTOR = 255;

  private JobEventStore() {}

  /** Adds one event to a batch of {@link #INSERT}. */
  static void add(
      PreparedStatement ev,
      String jobId,
      long at,
      String actor,
      JobStatus from,
      JobStatus to,
      String message)
      throws SQLException {
    ev.setString(1, jobId);
    ev.setLong(2, at);
    ev.setString(3, Text.column(actor == null ? "anonymous" : actor, MAX_ACTOR));
    if (from == null) {
      ev.setNull(4, Types.VARCHAR);
    } else {
      ev.setString(4, from.name());
    }
    ev.setString(5, to.name());
    if (message == null) {
      ev.setNull(6, Types.VARCHAR);
    } else {
      ev.setString(6, Text.column(message, MAX_MESSAGE));
    }
    ev.addBatch();
  }
}
