package dev.jobserver.worker;

import dev.jobserver.engine.JobTypeRegistry;
import dev.jobserver.engine.RemoteType;
import dev.jobserver.job.StoreException;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.RemoteLeases;
import dev.jobserver.store.StoreListener;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Workers' claims, with the long poll: a claim that finds nothing waits (holding no thread) until a
 * job of its types is created on this instance (tried at once), or the next poll finds one (jobs
 * created on other instances, retries coming due, dependencies met), or its wait ends.
 */
@ApplicationScoped
public class WorkerClaims implements StoreListener {

  /** How often waiting claims look again for jobs this instance was not told of. */
  static final long POLL_MILLIS = 250;

  private static final Logger LOG = Logger.getLogger(WorkerClaims.class.getName());

  /** What a worker asked for. */
  public record Request(
      String subject,
      String worker,
      Set<String> types,
      int max,
      int leaseSeconds,
      int waitSeconds,
      String actor) {}

  @Inject private JobStore store;
  @Inject private JobTypeRegistry types;
  @Inject private WorkerSightings sightings;

  @Resource(lookup = "java:comp/DefaultManagedScheduledExecutorService")
  private ManagedScheduledExecutorService executor;

  private final ConcurrentLinkedQueue<Waiter> waiting = new ConcurrentLinkedQueue<>();
  private ScheduledFuture<?> poll;

  /** A claim waiting for jobs; answered exactly once. */
  private final class Waiter {
    final Request request;
    final Consumer<List<RemoteLeases.Claimed>> answer;
    final long deadline;
    boolean done;

    Waiter(Request request, Consumer<List<RemoteLeases.Claimed>> answer) {
      this.request = request;
      this.answer = answer;
      this.deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(request.waitSeconds());
    }

    /** Tries to claim; answers when jobs were claimed or the wait is over. */
    synchronized void tryClaim() {
      if (done) {
        return;
      }
      List<RemoteLeases.Claimed> jobs;
      try {
        jobs = claimNow(request);
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "A waiting claim failed; it tries again", e);
        jobs = List.of();
      }
      if (!jobs.isEmpty() || System.nanoTime() - deadline >= 0) {
        answerWith(jobs);
      }
    }

    synchronized void answerWith(List<RemoteLeases.Claimed> jobs) {
      if (done) {
        return;
      }
      done = true;
      waiting.remove(this);
      try {
        answer.accept(jobs);
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "A waiting worker is gone", e);
      }
    }
  }

  /**
   * Claims for the request: answers at once when there are jobs or no wait was asked for, otherwise
   * when jobs come or the wait ends (an empty list: nothing came).
   */
  public void claim(Request request, Consumer<List<RemoteLeases.Claimed>> answer) {
    sightings.seen(request.subject(), request.worker(), List.copyOf(request.types()));
    List<RemoteLeases.Claimed> jobs = claimNow(request);
    if (!jobs.isEmpty() || request.waitSeconds() == 0) {
      answer.accept(jobs);
      return;
    }
    Waiter w = new Waiter(request, answer);
    waiting.add(w);
    ensurePolling();
  }

  /** Claims what is due now. */
  public List<RemoteLeases.Claimed> claimNow(Request request) {
    Map<String, RemoteLeases.TypeLimit> limits = new LinkedHashMap<>();
    for (String name : request.types()) {
      RemoteType t = types.remoteType(name);
      if (t != null) {
        limits.put(
            name,
            new RemoteLeases.TypeLimit(
                t.settings().maxConcurrent(), t.settings().timeout().toMillis()));
      }
    }
    if (limits.isEmpty()) {
      return List.of(); // deleted meanwhile
    }
    List<RemoteLeases.Claimed> claimed;
    try {
      claimed =
          store
              .remote()
              .claim(
                  limits,
                  request.max(),
                  request.leaseSeconds() * 1000L,
                  request.worker(),
                  request.actor());
    } catch (SQLException e) {
      throw StoreException.of("Claiming jobs failed", e);
    }
    Map<String, Integer> byType = new LinkedHashMap<>();
    claimed.forEach(j -> byType.merge(j.type(), 1, Integer::sum));
    byType.forEach(sightings::claimed);
    return claimed;
  }

  private synchronized void ensurePolling() {
    if (poll == null) {
      poll =
          executor.scheduleWithFixedDelay(
              this::pollAll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  private void pollAll() {
    try {
      for (Waiter w : waiting) {
        w.tryClaim();
      }
    } catch (Throwable e) {
      LOG.log(Level.WARNING, "Polling for waiting claims failed", e);
    }
  }

  /** A job created here wakes the claims waiting for its type at once. */
  @Override
  public void created(String type) {
    if (waiting.isEmpty()) {
      return;
    }
    for (Waiter w : waiting) {
      if (w.request.types().contains(type)) {
        try {
          executor.execute(w::tryClaim);
        } catch (RuntimeException e) {
          LOG.log(Level.FINE, "Waking a waiting claim failed; the poll will", e);
        }
        return; // one claim at a time: the next create wakes the next
      }
    }
  }

  /** How many claims are waiting now (metrics, the Workers view). */
  public int waitingClaims() {
    return waiting.size();
  }

  @PreDestroy
  void stop() {
    ScheduledFuture<?> p = poll;
    if (p != null) {
      p.cancel(false);
    }
    for (Waiter w : waiting) {
      w.answerWith(List.of());
    }
  }
}
