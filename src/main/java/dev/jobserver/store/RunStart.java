package dev.jobserver.store;

/**
 * A worker started the handler of a reserved job: the job becomes RUNNING with this attempt, and
 * {@code start_at} is when that happened.
 */
public record RunStart(String jobId, String type, int attempt, long startedAt) {}
