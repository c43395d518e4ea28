package dev.jobserver.store;

import java.util.Map;

/** A job this instance has just claimed to run. */
public record ClaimedJob(String id, String type, Map<String, String> data, int attempt) {}
