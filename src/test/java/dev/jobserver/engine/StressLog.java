package dev.jobserver.engine;

import dev.jobserver.store.ClaimedJob;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the stress test's engines did, as seen from outside the engine: the handlers' own log of
 * each run (start and stop, on the monotonic clock), every claim each engine made, and when an
 * engine was killed. The checks after the run read only this and the database.
 */
final class StressLog {

  /** One handler invocation: a live run of a job, from its handler's first to its last line. */
  static final class Interval {
    final String jobId;
    final int attempt;
    final String engine;
    final String type;
    final long start;
    volatile long stop; // 0 while it runs

    Interval(String jobId, int attempt, String engine, String type, long start) {
      this.jobId = jobId;
      this.attempt = attempt;
      this.engine = engine;
      this.type = type;
      this.start = start;
    }

    @Override
    public String toString() {
      return jobId
          + "#"
          + attempt
          + "@"
          + engine
          + "["
          + start / 1_000_000
          + ".."
          + (stop == 0 ? "running" : String.valueOf(stop / 1_000_000))
          + " ms]";
    }
  }

  /**
   * One call of the claim ({@code JobStore.reserve}) by an engine.
   *
   * @param start when it was called (monotonic ns)
   * @param end when it returned or threw
   * @param limited the free slots of each limited type it was called with
   * @param claimed what it reserved, in claim order; null if it threw (the reservation may or may
   *     not have been committed)
   */
  record Claim(
      String engine,
      long start,
      long end,
      Map<String, Integer> limited,
      List<ClaimedJob> claimed) {}

  final Queue<Interval> runs = new ConcurrentLinkedQueue<>();
  final Queue<Claim> claims = new ConcurrentLinkedQueue<>();

  /** Engine name, or "engine|job", to when its last failed claim, or claim of the job, returned. */
  private final Map<String, Long> lastClaims = new ConcurrentHashMap<>();

  void claimed(Claim claim) {
    claims.add(claim);
    if (claim.claimed() == null) {
      lastClaims.merge(claim.engine(), claim.end(), Math::max);
    } else {
      for (ClaimedJob job : claim.claimed()) {
        lastClaims.merge(claim.engine() + "|" + job.id(), claim.end(), Math::max);
      }
    }
  }

  /**
   * When the engine's last claim that took the job, or that failed (it may have taken it), returned
   * (ns); 0 if none.
   */
  long lastClaimEnd(String engine, String jobId) {
    return Math.max(
        lastClaims.getOrDefault(engine, 0L), lastClaims.getOrDefault(engine + "|" + jobId, 0L));
  }

  /** Engine name to when its shutdown began (monotonic ms, as the intervals print). */
  final Map<String, Long> stoppingAt = new ConcurrentHashMap<>();

  /** Engine name to the moment it was killed (monotonic ns). */
  final Map<String, Long> killedAt = new ConcurrentHashMap<>();

  Interval started(String jobId, int attempt, String engine, String type) {
    Interval i = new Interval(jobId, attempt, engine, type, System.nanoTime());
    runs.add(i);
    return i;
  }

  /**
   * The interval a run was alive in the process: a killed engine's process is gone at its kill, so
   * what its abandoned threads do after it is not a run (the test cannot stop a JVM thread).
   *
   * @return {start, end}, or null if it started after its engine was killed
   */
  long[] alive(Interval i, long now) {
    long end = i.stop == 0 ? now : i.stop;
    Long killed = killedAt.get(i.engine);
    if (killed != null) {
      if (i.start >= killed) {
        return null;
      }
      end = Math.min(end, killed);
    }
    return new long[] {i.start, end};
  }
}
