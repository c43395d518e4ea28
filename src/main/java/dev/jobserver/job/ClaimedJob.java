package dev.jobserver.job;

import java.util.Map;

/** A job this instance has just claimed to run. */
public record ClaimedJob(String id, String type, Map<String, String> data, int attempt) {}
