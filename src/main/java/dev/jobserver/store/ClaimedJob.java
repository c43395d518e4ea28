package dev.jobserver.store;

import java.util.Map;

/**
 * A job this instance has just claimed to run.
 *
 * @param dueAt when it became due (epoch ms): the later of its creation and its run_after; 0 if not
 *     known
 */
public record ClaimedJob(
    String id, String type, Map<String, String> data, int attempt, long dueAt) {

  public ClaimedJob(String id, String type, Map<String, String> data, int attempt) {
    this(id, type, data, attempt, 0);
  }
}
