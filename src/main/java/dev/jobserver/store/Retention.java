package dev.jobserver.store;

import static dev.jobserver.store.StoreSql.placeholders;

import dev.jobserver.database.LongStatements;
import dev.jobserver.job.JobStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Retention: finished jobs older than the cutoff are counted, and deleted a batch at a time. */
final class Retention {

  /** The finished statuses, as an SQL list. */
  static final String FINISHED = finished();

  private final StoreSql store;

  Retention(StoreSql store) {
    this.store = store;
  }

  /**
   * Deletes up to {@code batch} finished jobs created before the cutoff, with their results and
   * events (the foreign keys cascade), in one transaction.
   *
   * @return how many were deleted
   */
  public int deleteFinishedBefore(long cutoff, int batch) throws SQLException {
    try (Connection c = store.transaction()) {
      List<String> ids = new ArrayList<>();
      JobCounts counts = new JobCounts();
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, type, status FROM job WHERE create_at < ? AND status IN "
                  + FINISHED
                  + " ORDER BY create_at LIMIT ? FOR UPDATE SKIP LOCKED")) {
        ps.setLong(1, cutoff);
        ps.setInt(2, batch);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ids.add(rs.getString(1));
            counts.deleted(rs.getString(2), JobStatus.valueOf(rs.getString(3)));
          }
        }
      }
      if (!ids.isEmpty()) {
        counts.apply(c, store.isPostgres(c));
        try (PreparedStatement del =
            c.prepareStatement("DELETE FROM job WHERE id IN (" + placeholders(ids.size()) + ")")) {
          for (int i = 0; i < ids.size(); i++) {
            del.setString(i + 1, ids.get(i));
          }
          del.executeUpdate();
        }
      }
      c.commit();
      return ids.size();
    }
  }

  /** How many finished jobs were created before the cutoff. */
  long countFinishedBefore(long cutoff) throws SQLException {
    try (Connection c = store.connection();
        LongStatements longer = LongStatements.on(c);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM job WHERE create_at < ? AND status IN " + FINISHED)) {
      ps.setLong(1, cutoff);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static String finished() {
    StringBuilder b = new StringBuilder("(");
    for (JobStatus s : JobStatus.FINISHED) {
      b.append(b.length() > 1 ? ", '" : "'").append(s.name()).append('\'');
    }
    return b.append(')').toString();
  }
}
