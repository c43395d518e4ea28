package dev.jobserver.store;

import dev.jobserver.job.JobStatus;

/** What the database says of a job that this instance believes it runs. */
public record RunState(String id, JobStatus status, String leaseOwner, int attempt) {}
