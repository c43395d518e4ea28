package dev.jobserver.job;

/** A job's result file, without its content. */
public record JobResultInfo(
    String jobId, String fileName, String contentType, long size, long createdAt) {}
