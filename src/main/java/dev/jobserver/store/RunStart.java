package dev.jobserver.store;

/**
 * A worker started the handler of a reserved job: the job becomes RUNNING with this attempt, and
 * {@code start_at} is when that happened. {@code dueAt} is when the job became due (epoch ms; 0:
 * not known), for the wait it had.
 */
public record RunStart(String jobId, String type, int attempt, long startedAt, long dueAt) {

  /** A start whose due time is not known (it is not measured as a wait). */
  public RunStart(String jobId, String type, int attempt, long startedAt) {
    this(jobId, type, attempt, startedAt, 0);
  }
}
