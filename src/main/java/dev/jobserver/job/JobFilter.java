package dev.jobserver.job;

import java.util.Collection;

/** What a job list is narrowed to: any of these types and any of these statuses (empty = all). */
public record JobFilter(Collection<String> types, Collection<JobStatus> statuses) {}
