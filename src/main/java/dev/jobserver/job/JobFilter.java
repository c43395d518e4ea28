package dev.jobserver.job;

import java.util.Collection;
import java.util.List;

/** What a job list is narrowed to: any of these types and any of these statuses (empty = all). */
public record JobFilter(Collection<String> types, Collection<JobStatus> statuses) {
  public static final JobFilter ALL = new JobFilter(List.of(), List.of());
}
