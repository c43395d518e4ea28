package dev.jobserver.job;

/**
 * One status change of a job, as its audit trail shows it.
 *
 * @param actor the token subject, {@code engine:<instance>}, {@code schedule:<id>} or {@code
 *     dependency:<id>}
 * @param from null for the job's creation
 */
public record JobEvent(long at, String actor, JobStatus from, JobStatus to, String message) {}
