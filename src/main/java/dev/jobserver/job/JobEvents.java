package dev.jobserver.job;

import jakarta.persistence.EntityManager;

/** Writes the job_event row that goes with every change of a job's status. */
public final class JobEvents {

  public static final String INSERT =
      "INSERT INTO job_event (job_id, at, actor, old_status, new_status, message)"
          + " VALUES (?, ?, ?, ?, ?, ?)";

  private JobEvents() {}

  static void record(
      EntityManager em,
      String jobId,
      long at,
      String actor,
      JobStatus from,
      JobStatus to,
      String message) {
    em.createNativeQuery(INSERT)
        .setParameter(1, jobId)
        .setParameter(2, at)
        .setParameter(3, actor == null ? "anonymous" : actor)
        .setParameter(4, from == null ? null : from.name())
        .setParameter(5, to.name())
        .setParameter(6, truncate(message))
        .executeUpdate();
  }

  static String truncate(String message) {
    return message == null || message.length() <= 4000 ? message : message.substring(0, 4000);
  }
}
