package dev.jobserver.engine;

import dev.jobserver.database.DatabaseMigration;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.store.ClaimedJob;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.RunOutcome;
import dev.jobserver.store.RunStart;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;

/**
 * What the engine's parts are tested with: a fresh in-memory database with the real schema and
 * store, a clock the test sets, and the engine's own bookkeeping, with no server.
 */
final class EngineFixture {
  static final String OWNER = "node-1";
  static final String ACTOR = "engine:node-1";

  final SettableClock clock = new SettableClock();
  final DataSource ds;
  final JobStore store;
  final Runs runs = new Runs();
  final List<RunOutcome> outcomes = Collections.synchronizedList(new ArrayList<>());
  final List<Run> started = Collections.synchronizedList(new ArrayList<>());
  final List<String> letGo = Collections.synchronizedList(new ArrayList<>());
  final EngineSettings settings = new EngineSettings(2, 10, 50, 3000, 50, 500, 500);

  EngineFixture() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:e" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    ds = h2;
    try (Connection c = ds.getConnection()) {
      DatabaseMigration.update(c);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    store = JobStore.over(ds);
  }

  /** A runner that hands outcomes and starts to this fixture's lists. */
  Runner runner(JobTypeRegistry types) {
    return new Runner(clock, types, runs, started::add, outcomes::add, letGo::add, () -> {});
  }

  void insert(String id, String type, long createAt) {
    update(
        "INSERT INTO job (id, type, priority, create_at, status, data, max_attempts)"
            + " VALUES ('"
            + id
            + "', '"
            + type
            + "', 0, "
            + createAt
            + ", 'PENDING', '{}', 1)");
  }

  /** Reserves the job for this instance and writes its start, as a worker starting it would. */
  Run startedRun(String id, JobHandler handler) throws Exception {
    ClaimedJob job = reserve(id);
    Run run = new Run(job, handler, null, clock, OWNER, r -> {});
    runs.add(run);
    run.started();
    store.record(
        OWNER,
        List.of(new RunStart(id, job.type(), job.attempt(), clock.millis())),
        List.of(),
        ACTOR);
    run.startWritten = true;
    return run;
  }

  /** Reserves this one job for this instance (the others the claim took are given up again). */
  ClaimedJob reserve(String id) throws Exception {
    ClaimedJob mine = null;
    List<String> others = new ArrayList<>();
    for (ClaimedJob job :
        store.reserve(
            OWNER,
            100,
            clock.millis(),
            clock.millis() + settings.leaseMillis(),
            Map.of(),
            List.of())) {
      if (job.id().equals(id)) {
        mine = job;
      } else {
        others.add(job.id());
      }
    }
    store.release(OWNER, others);
    if (mine == null) {
      throw new IllegalStateException(id + " was not reserved");
    }
    return mine;
  }

  static RunOutcome outcome(String id, int attempt, Cause cause, String error) {
    return new RunOutcome(id, attempt, cause, 50, Map.of(), error, null, 0, null);
  }

  int update(String sql) {
    try (Connection c = ds.getConnection()) {
      return c.createStatement().executeUpdate(sql);
    } catch (Exception e) {
      throw new IllegalStateException(sql, e);
    }
  }

  Map<String, Object> row(String id) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT status, attempt, lease_owner, lease_expires_at, start_at, data FROM job"
                    + " WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", rs.getString(1));
        m.put("attempt", rs.getInt(2));
        m.put("owner", rs.getString(3));
        m.put("lease", rs.getLong(4));
        m.put("start_at", rs.getLong(5));
        m.put("data", rs.getString(6));
        return m;
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  List<String> events(String id) {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT old_status, new_status FROM job_event WHERE job_id = ? ORDER BY id")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1) + ">" + rs.getString(2));
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  /** An executor that never runs what it is given: runs handed to the pool stay waiting. */
  static final class Parked implements java.util.concurrent.Executor {
    final List<Runnable> tasks = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void execute(Runnable command) {
      tasks.add(command);
    }
  }

  /** A handler type for tests. */
  static JobHandler handler(String type, int maxConcurrent, java.time.Duration timeout) {
    return new JobHandler() {
      @Override
      public String type() {
        return type;
      }

      @Override
      public JobTypeSettings settings() {
        return new JobTypeSettings(timeout, 1, java.time.Duration.ofSeconds(1), maxConcurrent);
      }

      @Override
      public void run(JobContext context) {}
    };
  }

  static final Set<String> NONE = Set.of();

  /**
   * A thread standing for the run's handler blocked in I/O: alive, whatever interrupts it, until
   * the latch opens; then it returns as a worker does ({@code run.thread} cleared).
   */
  static Thread stubborn(Run run, java.util.concurrent.CountDownLatch returns) {
    Thread t =
        new Thread(
            () -> {
              while (true) {
                try {
                  returns.await();
                  run.thread = null;
                  return;
                } catch (InterruptedException ignored) {
                  // it does not react to the interrupt
                }
              }
            });
    run.thread = t;
    t.start();
    return t;
  }
}
