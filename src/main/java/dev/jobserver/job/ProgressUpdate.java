package dev.jobserver.job;

public record ProgressUpdate(String jobId, int attempt, int progress, long at) {}
