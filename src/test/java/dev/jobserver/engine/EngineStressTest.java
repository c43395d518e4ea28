package dev.jobserver.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.job.IllegalTransitionException;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobNotFoundException;
import dev.jobserver.store.ClaimedJob;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.TestDatabase;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A randomized stress test of the engine: two engines wired from the engine's parts share one
 * database (PostgreSQL with {@code -Ppostgres}, else in-memory H2) and run test jobs (quick ones,
 * ones with a concurrency limit, ones that time out, and a stubborn one that ignores interrupts and
 * outlives its timeout) while faults chosen by a seeded {@link Random} hit them: SIGKILL of an
 * engine (a fresh one with a new name replaces it), a shutdown with a grace longer than the lease,
 * aborted commits (deadlocks, serialization failures), dropped connections (also after a commit was
 * applied), a wall clock set minutes off, and callers cancelling, requeueing and retrying jobs.
 * Then the faults stop and it checks, from the handlers' own log, the claims and the database:
 *
 * <ol>
 *   <li>(a) no job ever had two live runs: the intervals of a job's handler runs never overlap (a
 *       killed engine's runs end at its kill), and each job's events form one chain;
 *   <li>(b) every job reached a final status within {@code stress.settle} seconds (default 60) of
 *       the faults' end;
 *   <li>(c) no reservation outlived a lease: a PENDING job reserved by an engine that does not hold
 *       it (no run of it, no write of it waiting) never carries a lease reaching more than a lease
 *       (plus 1 s, plus how far the engine's shared clock was seen ahead of the database's) past
 *       the first moment it was seen so, unless the engine claimed it again since;
 *   <li>(d) starts followed priority within the limits: no engine ever ran more handlers of a
 *       limited type at once than the limit, and a high-priority job of a type limited to one,
 *       created behind a backlog, was claimed by the first claim (of either engine) that began
 *       after its creation and took anything else, unless a claim holding it was already under way.
 * </ol>
 *
 * <p>It runs only with {@code -Dstress=true} (slow: {@code stress.seconds}, default 60, plus the
 * settling); {@code -Dstress.seed=N} replays a run's schedule of jobs and faults (the threads'
 * interleaving differs from run to run; a failure prints its seed). On PostgreSQL:
 *
 * <pre>
 * mvn -B -ntp test -Ppostgres -Dit.db.url=jdbc:postgresql://127.0.0.1:5432/NAME \
 *   -Dtest=EngineStressTest -Dsurefire.failIfNoSpecifiedTests=false -Dstress=true \
 *   -Dstress.seconds=90
 * </pre>
 */
@EnabledIfSystemProperty(
    named = "stress",
    matches = "true",
    disabledReason = "slow randomized stress test: run it with -Dstress=true (see its javadoc)")
class EngineStressTest {

  private static final long LEASE = 2000;

  /** Kept: a logger nobody references may be collected, and its level with it. */
  private static final Logger QUIET = Logger.getLogger("dev.jobserver");

  /** What the clocks of engine and observer may differ by, and the timing of the sampler. */
  private static final long SLACK = 1000;

  private final StressLog log = new StressLog();
  private final List<StressEngine> engines = new CopyOnWriteArrayList<>();
  private final Map<String, StressEngine> byName = new ConcurrentHashMap<>();
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  private final List<String> jobIds = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final List<Thread> shutdowns = new CopyOnWriteArrayList<>();
  private TestDatabase db;
  private JobStore client;
  private volatile boolean chaos = true;
  private int engineCount;

  @Test
  void twoEnginesUnderRandomFaultsKeepTheirGuarantees() throws Exception {
    long seed = Long.getLong("stress.seed", new SecureRandom().nextLong());
    int seconds = Integer.getInteger("stress.seconds", 60);
    int settleSeconds = Integer.getInteger("stress.settle", 60);
    System.out.println(
        "EngineStressTest seed "
            + seed
            + " (replay with -Dstress.seed="
            + seed
            + "), "
            + seconds
            + " s"
            + (StressEngine.MUTANT.isEmpty() ? "" : ", planted bug " + StressEngine.MUTANT));
    // the engines' own warnings (failed steps under injected faults) would flood the output
    QUIET.setLevel(Level.SEVERE);
    Random chaosRandom = new Random(seed);
    Random jobRandom = new Random(seed * 31 + 7);
    db = new TestDatabase();
    try {
      client = JobStore.over(db.ds);
      System.out.println("database: " + (db.isPostgres() ? "PostgreSQL" : "H2"));
      StressEngine[] live = {newEngine(chaosRandom), newEngine(chaosRandom)};
      long startNanos = System.nanoTime();
      long chaosEnd = startNanos + seconds * 600_000_000L; // 60 % of the time under faults
      Sampler sampler = new Sampler();
      Thread samplerThread = new Thread(sampler, "stress-sampler");
      samplerThread.setDaemon(true);
      samplerThread.start();
      Thread producer = new Thread(() -> produce(jobRandom, chaosEnd), "stress-producer");
      producer.setDaemon(true);
      producer.start();

      injectFaults(chaosRandom, live, chaosEnd);
      producer.join();
      chaos = false;
      for (StressEngine e : live) {
        e.ds.deadlockRate = 0;
        e.ds.dropRate = 0;
      }
      long calm = System.nanoTime();
      System.out.println("faults stopped; " + jobIds.size() + " jobs created; " + counts);

      List<Probe> probes = probe(chaosRandom, live, seconds);
      lostClaims(chaosRandom, live);

      // (b) every job final within the bound
      long settleDeadline = calm + settleSeconds * 1_000_000_000L;
      int left = nonFinal();
      while (left > 0 && System.nanoTime() - settleDeadline < 0) {
        Thread.sleep(250);
        left = nonFinal();
      }
      long settled = (System.nanoTime() - calm) / 1_000_000;
      if (left > 0) {
        failures.add(
            "(b) "
                + left
                + " jobs not final "
                + settleSeconds
                + " s after the faults stopped: "
                + db.rows(
                    "SELECT id, type, status, attempt, lease_owner, lease_expires_at, run_after"
                        + " FROM job WHERE status NOT IN ('COMPLETED', 'WARNING', 'FAILED',"
                        + " 'CANCELED', 'SKIPPED', 'ABANDONED') ORDER BY id LIMIT 20"));
      }
      System.out.println("all jobs final " + settled + " ms after the faults stopped");
      awaitIdle(live);
      sampler.stop = true;
      samplerThread.join(5000);
      for (StressEngine e : live) {
        Thread t = new Thread(e::shutDown, e.name + "-shutdown");
        t.start();
        shutdowns.add(t);
      }
      for (Thread t : shutdowns) {
        t.join(60_000);
      }

      checkRunsNeverOverlap();
      checkEventChains();
      failures.addAll(sampler.violations);
      checkLimits();
      checkProbes(probes);
      checkLoops();
      System.out.println(summary(sampler, settled));
      assertTrue(
          failures.isEmpty(),
          "seed "
              + seed
              + " (replay with -Dstress.seed="
              + seed
              + "):\n"
              + String.join("\n", failures.subList(0, Math.min(30, failures.size()))));
    } finally {
      for (StressEngine e : engines) {
        if (!e.stopped) {
          e.kill();
        }
      }
      db.close();
    }
  }

  // ---- the run ---------------------------------------------------------------------------------

  private StressEngine newEngine(Random r) {
    int n = ++engineCount;
    int workers = 2 + r.nextInt(3);
    // a grace shorter than the lease, or longer (the leases must be kept through it)
    long grace = r.nextBoolean() ? 300 : LEASE + 500 + r.nextInt((int) LEASE);
    // this machine's wall clock: right, or minutes off (the shared clock corrects it)
    long skew = r.nextInt(3) == 0 ? 0 : (r.nextBoolean() ? 1 : -1) * (1000 + r.nextInt(600_000));
    String name = "e" + n + "-" + Integer.toHexString(r.nextInt(0x10000));
    EngineSettings settings = new EngineSettings(workers, 10, 200, LEASE, 100, 300, grace);
    StressEngine e = new StressEngine(name, settings, skew, db.ds, log);
    engines.add(e);
    byName.put(name, e);
    count("engines");
    return e;
  }

  private void count(String what) {
    counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
  }

  /** Creates jobs of every type at random until the end of the faults. */
  private void produce(Random r, long until) {
    int seq = 0;
    while (System.nanoTime() - until < 0) {
      String type;
      Map<String, String> data = new HashMap<>();
      int pick = r.nextInt(100);
      if (pick < 45) {
        type = "quick";
        data.put("ms", String.valueOf(r.nextInt(40)));
        if (r.nextInt(10) == 0) {
          data.put("fail", "1");
        }
      } else if (pick < 60) {
        type = "two";
        data.put("ms", String.valueOf(20 + r.nextInt(100)));
      } else if (pick < 70) {
        type = "one";
        data.put("ms", String.valueOf(20 + r.nextInt(130)));
      } else if (pick < 85) {
        type = "slow";
        data.put("ms", String.valueOf(50 + r.nextInt(550)));
      } else {
        type = "stubborn";
        data.put("ms", String.valueOf(100 + r.nextInt(1100)));
        data.put("stubborn", "1");
      }
      String id = String.format("s%05d", ++seq);
      try {
        create(id, type, r.nextInt(5), data);
      } catch (SQLException e) {
        failures.add("creating " + id + " failed: " + e);
      }
      sleep(10 + r.nextInt(50));
    }
  }

  private void create(String id, String type, int priority, Map<String, String> data)
      throws SQLException {
    Job job = new Job(id, type, priority, System.currentTimeMillis(), data);
    job.setMaxAttempts(StressEngine.TYPES.get(type).maxAttempts());
    client.insert(job);
    jobIds.add(id);
  }

  /** The faults, one every 0.2 to 1.2 s, until the end of the chaos phase. */
  private void injectFaults(Random r, StressEngine[] live, long until) {
    while (System.nanoTime() - until < 0) {
      sleep(200 + r.nextInt(1000));
      int slot = r.nextInt(2);
      int action = r.nextInt(100);
      if (action < 7) {
        live[slot].kill();
        count("kills");
        sleep(100 + r.nextInt(700)); // the time its restart takes
        live[slot] = newEngine(r);
      } else if (action < 12) {
        StressEngine stopping = live[slot];
        Thread t = new Thread(stopping::shutDown, stopping.name + "-shutdown");
        t.start();
        shutdowns.add(t);
        count(stopping.settings.shutdownGraceMillis() > LEASE ? "shutdowns>lease" : "shutdowns");
        live[slot] = newEngine(r); // a rolling restart: its successor starts at once
      } else if (action < 35) {
        boolean off = r.nextInt(4) == 0;
        live[slot].ds.deadlockRate = off ? 0 : r.nextDouble() * 0.3;
        live[slot].ds.dropRate = off ? 0 : r.nextDouble() * 0.04;
        count("fault rates");
      } else if (action < 40) {
        // the clock of this machine is set (NTP step, an operator): minutes either way
        live[slot].skew((r.nextBoolean() ? 1 : -1) * (1000 + r.nextInt(600_000)));
        count("clock steps");
      } else if (action < 85) {
        for (int i = r.nextInt(6); i >= 0; i--) {
          callerChange(r);
        }
      }
    }
  }

  private static final Cause[] CALLER =
      new Cause[] {Cause.CANCEL, Cause.REQUEUE, Cause.FORCE_PENDING, Cause.RETRY, Cause.CANCEL};

  /** A caller cancels, requeues or retries a job, as the API does it. */
  private void callerChange(Random r) {
    int n = jobIds.size();
    if (n == 0) {
      return;
    }
    Cause cause = CALLER[r.nextInt(CALLER.length)];
    // recent jobs are the ones running or waiting; a retry is for any that failed
    String id =
        cause == Cause.RETRY
            ? jobIds.get(r.nextInt(n))
            : jobIds.get(Math.max(0, n - 1 - r.nextInt(Math.min(n, 20))));
    try {
      if (client.change(id, cause, "stress", "by the stress test", t -> maxAttempts(t)).changes()) {
        count("changes " + cause);
      }
    } catch (IllegalTransitionException | JobNotFoundException refused) {
      // not in a status this change applies to
    } catch (SQLException e) {
      failures.add("a caller's " + cause + " of " + id + " failed: " + e);
    }
  }

  private static int maxAttempts(String type) {
    return StressEngine.TYPES.get(type).maxAttempts();
  }

  /** A high-priority job of a type limited to one, created behind a backlog of quick jobs. */
  record Probe(String id, long created) {}

  private List<Probe> probe(Random r, StressEngine[] live, int seconds) throws Exception {
    List<Probe> probes = new ArrayList<>();
    int workers = live[0].settings.workers() + live[1].settings.workers();
    for (int p = 1; p <= 3; p++) {
      int before = log.runs.size();
      for (int i = 0; i < 4 * workers; i++) {
        create(
            String.format("b%d-%03d", p, i),
            "quick",
            0,
            Map.of("ms", String.valueOf(30 + r.nextInt(50))));
      }
      long until = System.nanoTime() + 10_000_000_000L;
      while (log.runs.size() < before + workers && System.nanoTime() - until < 0) {
        Thread.sleep(5); // the backlog is being drained
      }
      String id = "probe-" + p;
      create(id, "one", 1000, Map.of("ms", "20"));
      probes.add(new Probe(id, System.nanoTime()));
      until = System.nanoTime() + 10_000_000_000L;
      while (!claimed(id) && System.nanoTime() - until < 0) {
        Thread.sleep(5);
      }
    }
    return probes;
  }

  /**
   * (c) The reservation of a claim whose commit answer was lost, made for each live engine while it
   * is busy with a backlog: nobody holds it, so its lease must expire, and the job must then run.
   */
  private void lostClaims(Random r, StressEngine[] live) throws Exception {
    int workers = live[0].settings.workers() + live[1].settings.workers();
    int before = log.runs.size();
    for (int i = 0; i < 25 * workers; i++) {
      create(
          String.format("w-%03d", i), "quick", 0, Map.of("ms", String.valueOf(50 + r.nextInt(50))));
    }
    long until = System.nanoTime() + 10_000_000_000L;
    while (log.runs.size() < before + workers && System.nanoTime() - until < 0) {
      Thread.sleep(5);
    }
    for (StressEngine e : live) {
      String id = "lost-" + e.name;
      create(id, "quick", 0, Map.of("ms", "1"));
      try (Connection c = db.ds.getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE job SET lease_owner = ?, lease_expires_at = ? WHERE id = ?")) {
        ps.setString(1, e.name);
        ps.setLong(2, client.databaseMillis() + LEASE);
        ps.setString(3, id);
        ps.executeUpdate();
      }
    }
  }

  private boolean claimed(String id) {
    for (StressLog.Claim c : log.claims) {
      if (c.claimed() != null && c.claimed().stream().anyMatch(j -> j.id().equals(id))) {
        return true;
      }
    }
    return false;
  }

  private int nonFinal() {
    return Integer.parseInt(
        db.one(
            "SELECT COUNT(*) FROM job WHERE status NOT IN ('COMPLETED', 'WARNING', 'FAILED',"
                + " 'CANCELED', 'SKIPPED', 'ABANDONED')"));
  }

  /** Waits until the live engines have no run and no write left (at most 30 s). */
  private void awaitIdle(StressEngine[] live) throws InterruptedException {
    long until = System.nanoTime() + 30_000_000_000L;
    while (System.nanoTime() - until < 0) {
      if (live[0].busy() == 0 && live[1].busy() == 0) {
        return;
      }
      Thread.sleep(50);
    }
  }

  // ---- (c) reservations, sampled while it runs ------------------------------------------------

  /**
   * Looks at the reservations every 100 ms: a PENDING job reserved by an engine that does not hold
   * it must not keep a lease past a lease after the first look that found it so (see the class
   * comment), unless that engine claimed it again since (or made a claim whose outcome it does not
   * know).
   */
  private final class Sampler implements Runnable {
    volatile boolean stop;
    final List<String> violations = new CopyOnWriteArrayList<>();
    final Map<String, Long> unheldSince = new HashMap<>();
    final Map<String, Long> aheadBy = new ConcurrentHashMap<>();
    int samples;
    int reservationsSeen;
    int unheldSeen;

    @Override
    public void run() {
      while (!stop) {
        try {
          sample();
        } catch (Exception e) {
          violations.add("(c) the sampler failed: " + e);
          return;
        }
        sleep(100);
      }
    }

    private void sample() throws SQLException {
      samples++;
      long nanos = System.nanoTime();
      long now = client.databaseMillis();
      Map<String, Long> seen = new HashMap<>();
      try (Connection c = db.ds.getConnection();
          PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, lease_owner, lease_expires_at FROM job WHERE status = 'PENDING'"
                      + " AND lease_owner IS NOT NULL AND lease_expires_at >= ?")) {
        ps.setLong(1, now);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            seen.put(rs.getString(1) + "|" + rs.getString(2), rs.getLong(3));
          }
        }
      }
      unheldSince.keySet().retainAll(seen.keySet());
      long observed = now + (System.nanoTime() - nanos) / 1_000_000;
      for (StressEngine e : engines) {
        if (!e.stopped) {
          // how far ahead of the database's time its shared clock is (a sync is one round trip
          // off at most; on this loaded machine a first connection may take a while)
          aheadBy.merge(e.name, e.clock.millis() - observed, Math::max);
        }
      }
      for (Map.Entry<String, Long> row : seen.entrySet()) {
        reservationsSeen++;
        String[] key = row.getKey().split("\\|");
        StressEngine owner = byName.get(key[1]);
        if (owner == null) {
          violations.add("(c) a reservation by an unknown owner: " + row.getKey());
          continue;
        }
        if (owner.holds(key[0])) {
          unheldSince.remove(row.getKey());
          continue;
        }
        unheldSeen++;
        // the observer's time of this look: the database's, read before, plus what passed since
        long lookedAt = now + (System.nanoTime() - nanos) / 1_000_000;
        long lastClaim = log.lastClaimEnd(key[1], key[0]);
        long lastClaimMs = lastClaim == 0 ? Long.MIN_VALUE : now + (lastClaim - nanos) / 1_000_000;
        Long since = unheldSince.get(row.getKey());
        if (since == null || lastClaimMs >= since) {
          since = lookedAt; // a claim by the owner since: its lease runs from that claim
          unheldSince.put(row.getKey(), since);
        }
        if (row.getValue() > since + LEASE + SLACK + Math.max(0, aheadBy.get(key[1]))) {
          violations.add(
              "(c) job "
                  + key[0]
                  + " is reserved by "
                  + key[1]
                  + ", which does not hold it since "
                  + since
                  + ", with a lease until "
                  + row.getValue()
                  + " ("
                  + (row.getValue() - since)
                  + " ms after)");
          unheldSince.put(row.getKey(), Long.MAX_VALUE / 2); // reported once
        }
      }
    }
  }

  // ---- the checks ------------------------------------------------------------------------------

  /** (a) The live intervals of each job's runs never overlap. */
  private void checkRunsNeverOverlap() {
    long now = System.nanoTime();
    Map<String, List<long[]>> byJob = new TreeMap<>();
    Map<String, List<StressLog.Interval>> named = new HashMap<>();
    List<StressLog.Interval> all = new ArrayList<>(log.runs);
    all.sort((x, y) -> Long.compare(x.start, y.start));
    for (StressLog.Interval i : all) {
      long[] alive = log.alive(i, now);
      if (alive == null) {
        continue;
      }
      List<long[]> list = byJob.computeIfAbsent(i.jobId, k -> new ArrayList<>());
      List<StressLog.Interval> names = named.computeIfAbsent(i.jobId, k -> new ArrayList<>());
      if (!list.isEmpty()) {
        long[] previous = list.get(list.size() - 1);
        if (alive[0] < previous[1]) {
          failures.add(
              "(a) two live runs of job "
                  + i.jobId
                  + " at once: "
                  + names.get(names.size() - 1)
                  + " and "
                  + i
                  + "; killed: "
                  + log.killedAt.keySet()
                  + ", shut down (ms): "
                  + log.stoppingAt
                  + "; its events: "
                  + db.rows(
                      "SELECT at, actor, old_status, new_status, message FROM job_event"
                          + " WHERE job_id = ? ORDER BY id",
                      i.jobId));
        }
      }
      if (list.isEmpty() || alive[1] > list.get(list.size() - 1)[1]) {
        list.add(alive);
        names.add(i);
      }
    }
  }

  /** (a) Each job's events form one chain: every change starts from the status the last left. */
  private void checkEventChains() {
    String job = null;
    String status = null;
    for (String row :
        db.rows("SELECT job_id, old_status, new_status FROM job_event ORDER BY job_id, id")) {
      String[] p = row.split("\\|", -1);
      if (!p[0].equals(job)) {
        job = p[0];
        status = "null";
      }
      if (!p[1].equals(status)) {
        // the whole chain, with who wrote each event and when: enough to tell the paths apart
        failures.add(
            "(a) job "
                + job
                + ": an event from "
                + p[1]
                + " after one to "
                + status
                + ": "
                + row
                + "; its events: "
                + db.rows(
                    "SELECT id, at, actor, old_status, new_status, message FROM job_event"
                        + " WHERE job_id = ? ORDER BY id",
                    job)
                + "; the job now: "
                + db.rows(
                    "SELECT status, attempt, lease_owner, has_dependents, deps_waiting FROM job"
                        + " WHERE id = ?",
                    job));
      }
      status = p[2];
    }
  }

  /** (d) No engine ran more handlers of a limited type at once than its limit. */
  private void checkLimits() {
    long now = System.nanoTime();
    Map<String, List<long[]>> events = new HashMap<>();
    for (StressLog.Interval i : log.runs) {
      int limit = StressEngine.TYPES.get(i.type).maxConcurrent();
      long[] alive = log.alive(i, now);
      if (limit == 0 || alive == null) {
        continue;
      }
      List<long[]> list = events.computeIfAbsent(i.engine + "/" + i.type, k -> new ArrayList<>());
      list.add(new long[] {alive[0], 1});
      list.add(new long[] {alive[1], -1});
    }
    for (Map.Entry<String, List<long[]>> e : events.entrySet()) {
      int limit = StressEngine.TYPES.get(e.getKey().split("/")[1]).maxConcurrent();
      List<long[]> list = e.getValue();
      // at the same instant an end comes before a start
      list.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
      int running = 0;
      int max = 0;
      for (long[] ev : list) {
        running += (int) ev[1];
        max = Math.max(max, running);
      }
      if (max > limit) {
        failures.add("(d) " + e.getKey() + " ran " + max + " at once; its limit is " + limit);
      }
    }
  }

  /**
   * (d) Each probe was claimed by the first claim that began after its creation and took anything
   * (with a free slot of its type), or by a claim under way before that one returned.
   */
  private void checkProbes(List<Probe> probes) {
    List<StressLog.Claim> claims = new ArrayList<>(log.claims);
    claims.sort((x, y) -> Long.compare(x.start(), y.start()));
    for (Probe probe : probes) {
      long firstHolding = Long.MAX_VALUE;
      for (StressLog.Claim c : claims) {
        if (c.claimed() != null && c.claimed().stream().anyMatch(j -> j.id().equals(probe.id()))) {
          firstHolding = Math.min(firstHolding, c.start());
        }
      }
      if (firstHolding == Long.MAX_VALUE) {
        failures.add("(d) " + probe.id() + " was never claimed");
        continue;
      }
      int before = 0;
      for (StressLog.Claim c : claims) {
        if (c.start() > probe.created() && c.start() < firstHolding) {
          before++;
        }
      }
      System.out.println(
          probe.id()
              + ": claimed by a claim that began "
              + (firstHolding - probe.created()) / 1_000_000
              + " ms after its creation, with "
              + before
              + " claims begun between");
      for (StressLog.Claim c : claims) {
        if (c.start() <= probe.created() || c.start() > firstHolding) {
          continue;
        }
        if (c.claimed() == null) {
          System.out.println(probe.id() + ": a claim failed meanwhile; the probe proves nothing");
          break;
        }
        boolean tookOthers =
            c.claimed().stream().anyMatch(j -> !j.id().startsWith("probe-"))
                && c.claimed().stream().noneMatch(j -> j.id().equals(probe.id()));
        // a slot of its type was free in this claim (an earlier probe handed back may take it)
        long ones = c.claimed().stream().filter(j -> j.type().equals("one")).count();
        if (tookOthers && c.limited().getOrDefault("one", 0) > ones && firstHolding >= c.end()) {
          failures.add(
              "(d) "
                  + probe.id()
                  + " (priority 1000, type one) was passed over by a claim of "
                  + c.engine()
                  + " that began "
                  + (c.start() - probe.created()) / 1_000_000
                  + " ms after its creation and took "
                  + ids(c.claimed()));
        }
      }
    }
  }

  private static List<String> ids(List<ClaimedJob> jobs) {
    return jobs.stream().map(ClaimedJob::id).toList();
  }

  private void checkLoops() {
    for (StressEngine e : engines) {
      for (EngineLoop loop : e.loops()) {
        if (loop.state() == EngineLoop.State.DEAD) {
          failures.add("loop " + loop.name() + " died: " + loop.lastError());
        }
      }
    }
  }

  private String summary(Sampler sampler, long settled) {
    long deadlocks = 0;
    long drops = 0;
    long lost = 0;
    for (StressEngine e : engines) {
      deadlocks += e.ds.deadlocks.get();
      drops += e.ds.drops.get();
      lost += e.ds.lostCommits.get();
    }
    return "EngineStressTest: "
        + jobIds.size()
        + " jobs, "
        + log.runs.size()
        + " handler runs, "
        + log.claims.size()
        + " claims; final statuses "
        + db.rows("SELECT status, COUNT(*) FROM job GROUP BY status ORDER BY status")
        + "; faults: "
        + counts
        + ", "
        + deadlocks
        + " aborted commits, "
        + drops
        + " dropped connections ("
        + lost
        + " commits applied whose answer was lost); reservations sampled "
        + sampler.samples
        + " times ("
        + sampler.reservationsSeen
        + " seen, "
        + sampler.unheldSeen
        + " not held by their owner); shared clocks at most "
        + sampler.aheadBy.values().stream().mapToLong(Math::abs).max().orElse(0)
        + " ms off; settled in "
        + settled
        + " ms; "
        + failures.size()
        + " failures";
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
