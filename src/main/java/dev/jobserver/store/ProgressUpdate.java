package dev.jobserver.store;

public record ProgressUpdate(String jobId, int attempt, int progress, long at) {}
