package dev.jobserver.job;

import java.util.Map;

/**
 * How one run of a job ended, as the engine reports it.
 *
 * @param status COMPLETED, WARNING, FAILED, CANCELED, or PENDING for a retry after {@code runAfter}
 * @param data keys to add to the job's data (e.g. counts, the warning)
 * @param error the failure's message, for FAILED and retries
 * @param stacktrace the failure's stack trace, kept for the v1 API
 */
public record RunOutcome(
    String jobId,
    int attempt,
    JobStatus status,
    int progress,
    Map<String, String> data,
    String error,
    String stacktrace,
    long runAfter,
    String message) {}
