package dev.jobserver.job;

import java.util.Collection;
import java.util.List;

/**
 * Which jobs a list wants, in which order, from where.
 *
 * @param types any of these types (empty: all)
 * @param statuses any of these statuses (empty: all)
 * @param createdAfter created at or after (epoch ms), or null
 * @param createdBefore created before (epoch ms), or null
 * @param idPrefix ids starting with this, or null
 * @param newestFirst newest create_at first (ties: id descending), else oldest first
 * @param after the keyset position to continue after (the last job of the previous page), or null
 * @param offset rows to skip first (Mattermost's and Taipy's page numbers; 0 with a keyset)
 * @param limit most jobs, or -1 for all
 * @param scheduleId only the jobs this schedule created, or null
 */
public record JobQuery(
    Collection<String> types,
    Collection<JobStatus> statuses,
    Long createdAfter,
    Long createdBefore,
    String idPrefix,
    boolean newestFirst,
    Position after,
    long offset,
    long limit,
    String scheduleId) {

  public JobQuery(
      Collection<String> types,
      Collection<JobStatus> statuses,
      Long createdAfter,
      Long createdBefore,
      String idPrefix,
      boolean newestFirst,
      Position after,
      long offset,
      long limit) {
    this(
        types,
        statuses,
        createdAfter,
        createdBefore,
        idPrefix,
        newestFirst,
        after,
        offset,
        limit,
        null);
  }

  /** The same query, only for the jobs this schedule created (null: any). */
  public JobQuery ofSchedule(String id) {
    return new JobQuery(
        types,
        statuses,
        createdAfter,
        createdBefore,
        idPrefix,
        newestFirst,
        after,
        offset,
        limit,
        id);
  }

  /** A place in the list order: a job's create_at and id. */
  public record Position(long createAt, String id) {}

  public static JobQuery newest(Collection<String> types, Collection<JobStatus> statuses) {
    return new JobQuery(types, statuses, null, null, null, true, null, 0, -1);
  }

  public static JobQuery oldestFirst() {
    return new JobQuery(List.of(), List.of(), null, null, null, false, null, 0, -1);
  }

  public JobQuery page(long offset, long limit) {
    return new JobQuery(
        types,
        statuses,
        createdAfter,
        createdBefore,
        idPrefix,
        newestFirst,
        after,
        offset,
        limit,
        scheduleId);
  }
}
