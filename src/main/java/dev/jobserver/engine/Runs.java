package dev.jobserver.engine;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The runs this instance holds: claimed and waiting for a worker, or running. At most one per job:
 * a job requeued while its old run is still alive is not taken on again until that run has ended.
 */
final class Runs {

  private final Map<String, Run> byJob = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> byType = new ConcurrentHashMap<>();
  private final AtomicInteger inHand = new AtomicInteger();

  /** Takes a run on; false (and nothing changes) if a run of the same job is still held. */
  boolean add(Run run) {
    if (byJob.putIfAbsent(run.job.id(), run) != null) {
      return false;
    }
    counter(run.job.type()).incrementAndGet();
    inHand.incrementAndGet();
    return true;
  }

  /** Lets a run go; returns false if it was not held (already released). */
  boolean remove(Run run) {
    if (!byJob.remove(run.job.id(), run)) {
      return false;
    }
    counter(run.job.type()).decrementAndGet();
    inHand.decrementAndGet();
    return true;
  }

  Run get(String jobId) {
    return byJob.get(jobId);
  }

  boolean holds(String jobId) {
    return byJob.containsKey(jobId);
  }

  Collection<Run> all() {
    return Collections.unmodifiableCollection(byJob.values());
  }

  boolean isEmpty() {
    return byJob.isEmpty();
  }

  /** Runs held, waiting or running. */
  int inHand() {
    return inHand.get();
  }

  /** Runs of a type held now. */
  int ofType(String type) {
    AtomicInteger n = byType.get(type);
    return n == null ? 0 : n.get();
  }

  private AtomicInteger counter(String type) {
    return byType.computeIfAbsent(type, t -> new AtomicInteger());
  }
}
