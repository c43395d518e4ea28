package dev.jobserver.store;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobData;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobLifecycle.Dependents;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobStatus;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;
import javax.sql.DataSource;

/**
 * The only writer of the {@code job} table and its {@code job_event} rows: every status change,
 * each decided by {@link JobLifecycle} and applied with its event in one local transaction. Plain
 * JDBC, batched: creates (group commit), claims, endings and leases are the hot paths of the engine
 * and the API (README, Performance). Never called inside a container transaction.
 *
 * <p>This class is what callers hold; the work is done by its parts, each with one reason to
 * change: {@link JobCreates} (creates), {@link CallerChanges} (cancel, retry, requeue, delete),
 * {@link Leases} (the claim, reservations and leases), {@link RunLedger} (a run's start, end and
 * progress), {@link Recovery} (expired leases, hand-back), {@link Retention}, and under them {@link
 * DependencyResolution} (what an ending means for dependents), {@link Statements} (one
 * transaction's batches) and {@link StoreSql} (what they share).
 */
@ApplicationScoped
public class JobStore {

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  @Inject private Instance<StoreListener> listeners;

  /** The data source, transactions, listener and engine callback the parts share. */
  private StoreSql store;

  private JobCreates creates;
  private CallerChanges changes;
  private Retention retention;
  private Leases leases;
  private RunLedger ledger;
  private Recovery recovery;
  private RemoteLeases remote;

  public JobStore() {
    assemble(null); // in the container, init assembles it again once the data source is injected
  }

  JobStore(DataSource dataSource) {
    this.dataSource = dataSource;
    init();
  }

  /** A store on the given data source that tells the listener what it commits (tests). */
  JobStore(DataSource dataSource, StoreListener listener) {
    this(dataSource);
    store.listener(listener);
  }

  @PostConstruct
  void init() {
    assemble(dataSource);
    if (listeners != null) {
      List<StoreListener> all = new ArrayList<>();
      listeners.forEach(all::add);
      store.listener(
          new StoreListener() {
            @Override
            public void created(String type) {
              all.forEach(l -> l.created(type));
            }

            @Override
            public void started(String type, long waitMillis) {
              all.forEach(l -> l.started(type, waitMillis));
            }

            @Override
            public void finished(String type, JobStatus status, long runMillis) {
              all.forEach(l -> l.finished(type, status, runMillis));
            }
          });
    }
  }

  /** The parts, over one shared data source. */
  private void assemble(DataSource dataSource) {
    store = new StoreSql(dataSource);
    creates = new JobCreates(store);
    changes = new CallerChanges(store);
    retention = new Retention(store);
    leases = new Leases(store);
    ledger = new RunLedger(store);
    recovery = new Recovery(store, leases);
    remote = new RemoteLeases(store, leases, ledger);
  }

  /**
   * The runs of remote workers: claims, heartbeats and fenced endings (see {@link RemoteLeases}).
   */
  public RemoteLeases remote() {
    return remote;
  }

  /** Whom to tell when jobs whose dependencies are met became pending (this instance's engine). */
  public void whenUnblocked(Runnable listener) {
    store.whenUnblocked(listener);
  }

  /** A store on the given data source (tests, and the direct store below). */
  public static JobStore over(DataSource dataSource) {
    return new JobStore(dataSource);
  }

  /**
   * A store on direct, unpooled connections. When the server stops, the container destroys the
   * application's pool before the engine's shutdown runs; this is how the engine still records
   * outcomes and hands jobs back then.
   */
  public static JobStore direct() {
    return new JobStore(JobserverDataSource.outlivingTheApplication());
  }

  /**
   * Loads every class these statements use and opens one connection, so that they still work when
   * the application's class loader has been closed (the server is stopping; see the engine).
   */
  public void warmUp(String owner) throws SQLException {
    JobData.fromJson(JobData.toJson(Map.of("k", "v")));
    JobData.listFromJson(JobData.listToJson(List.of("x")));
    Text.column("-", 1);
    new RunState("-", JobStatus.RUNNING, owner, 0).hashCode();
    handBack(owner, List.of("-"), List.of("-"), "-", "-");
    release(owner, List.of("-"));
    extendLeases(owner, List.of("-"), 0);
    record(
        owner,
        List.of(new RunStart("-", "-", 1, 0)),
        List.of(new RunOutcome("-", 1, Cause.SUCCEED, 0, Map.of(), null, null, 0, null)),
        "-");
    finish(
        owner,
        List.of(new RunOutcome("-", 0, Cause.FAIL, 0, Map.of("k", "v"), "-", "-", 0, "-")),
        "-");
    progress(owner, List.of(new ProgressUpdate("-", 0, 0, 0)));
    // what an ending that concerns dependents loads (the shutdown path records endings too)
    new DependencyResolution.Ending("-", JobStatus.FAILED, Dependents.ABANDON).hashCode();
    // a locked row: the shutdown path locks rows that exist, the calls above found none
    new StoreSql.Row().hashCode();
    for (Cause cause : List.of(Cause.SUCCEED, Cause.FAIL, Cause.HAND_BACK)) {
      JobRowUpdate.sql(JobLifecycle.decide(JobStatus.RUNNING, cause, 1, 1), true);
      JobRowUpdate.sql(JobLifecycle.decide(JobStatus.RUNNING, cause, 1, 1), true, true);
    }
    // a run stops canceled only from CANCEL_REQUESTED (from RUNNING the state machine refuses it)
    JobRowUpdate.sql(
        JobLifecycle.decide(JobStatus.CANCEL_REQUESTED, Cause.STOP_CANCELED, 1, 1), true);
  }

  // ---- creates (JobCreates) -------------------------------------------------------------------

  /** Stores a new job with its "created" event, in a shared transaction (group commit). */
  public void insert(Job job) throws SQLException {
    creates.insert(job);
  }

  /** Stores new jobs in one transaction (tests; see {@link JobCreates#insertAll}). */
  void insertAll(List<Job> jobs) throws SQLException {
    creates.insertAll(jobs);
  }

  /** Stores a new job that depends on other jobs (see {@link JobCreates#insertWaiting}). */
  public void insertWaiting(Job job, List<String> dependsOn) throws SQLException {
    creates.insertWaiting(job, dependsOn);
  }

  /** Writes a schedule's new jobs in the caller's transaction (see {@link ScheduleFirings}). */
  Runnable insertScheduled(Connection c, List<Job> jobs, String firedBy) throws SQLException {
    return creates.insertScheduled(c, jobs, firedBy);
  }

  /** The statuses of these jobs now (absent: no such job), read without locking. */
  Map<String, JobStatus> statuses(Connection c, Collection<String> ids) throws SQLException {
    return creates.statuses(c, ids);
  }

  // ---- what callers ask for (CallerChanges, Retention) ----------------------------------------

  /** Applies a change a caller asks for (see {@link CallerChanges#change}). */
  public Transition change(
      String id, Cause cause, String actor, String message, ToIntFunction<String> budget)
      throws SQLException {
    return changes.change(id, cause, actor, message, budget);
  }

  /** Deletes a finished job with its result and events. */
  public void delete(String id) throws SQLException {
    changes.delete(id);
  }

  /** How many finished jobs were created before the cutoff. */
  public long countFinishedBefore(long cutoff) throws SQLException {
    return retention.countFinishedBefore(cutoff);
  }

  /** Deletes up to {@code batch} finished jobs created before the cutoff; how many. */
  public int deleteFinishedBefore(long cutoff, int batch) throws SQLException {
    return retention.deleteFinishedBefore(cutoff, batch);
  }

  // ---- the engine: the claim and the lease (Leases) ------------------------------------------

  /** Reserves due PENDING jobs for this instance (see {@link Leases#reserve}). */
  public List<ClaimedJob> reserve(
      String owner,
      int limit,
      long now,
      long leaseUntil,
      Map<String, Integer> limited,
      Collection<String> excludedIds)
      throws SQLException {
    return StoreSql.retryingDeadlocks(
        () -> leases.reserve(owner, limit, now, leaseUntil, limited, excludedIds));
  }

  /** Gives up this instance's hold on jobs it no longer runs (see {@link Leases#release}). */
  public int release(String owner, Collection<String> ids) throws SQLException {
    return StoreSql.retryingDeadlocks(() -> leases.release(owner, ids));
  }

  /** Extends the leases of the jobs this instance holds (see {@link Leases#extendLeases}). */
  public int extendLeases(String owner, Collection<String> ids, long leaseUntil)
      throws SQLException {
    return StoreSql.retryingDeadlocks(() -> leases.extendLeases(owner, ids, leaseUntil));
  }

  /** The database's wall clock (see {@link Leases#databaseMillis}). */
  public long databaseMillis() throws SQLException {
    return leases.databaseMillis();
  }

  /** Whether the database aborted the transaction to break a deadlock or a serialization cycle. */
  public static boolean isDeadlock(SQLException e) {
    return StoreSql.isDeadlock(e);
  }

  /** What the database says of these jobs now (a job that was deleted is absent). */
  public Map<String, RunState> states(Collection<String> ids) throws SQLException {
    return leases.states(ids);
  }

  // ---- the engine: runs (RunLedger) -----------------------------------------------------------

  /** Records that runs started and how runs ended; the starts refused (see {@link RunLedger}). */
  public Set<String> record(
      String owner, List<RunStart> starts, List<RunOutcome> ends, String actor)
      throws SQLException {
    return ledger.record(owner, starts, ends, actor);
  }

  /** Records how runs ended (see {@link RunLedger#finish}); how many jobs changed. */
  public int finish(String owner, List<RunOutcome> outcomes, String actor) throws SQLException {
    return ledger.finish(owner, outcomes, actor);
  }

  /** Writes progress of running jobs; a job that is no longer this run's is skipped. */
  public void progress(String owner, Collection<ProgressUpdate> updates) throws SQLException {
    StoreSql.retryingDeadlocks(
        () -> {
          ledger.progress(owner, updates);
          return null;
        });
  }

  // ---- the engine: jobs whose run is gone (Recovery) ------------------------------------------

  /** Recovers jobs whose lease expired (see {@link Recovery#recoverExpired}); how many. */
  public int recoverExpired(long now, int limit, String actor) throws SQLException {
    return recovery.recoverExpired(now, limit, actor);
  }

  /** Gives back jobs this instance claimed but will not finish (see {@link Recovery#handBack}). */
  public int handBack(
      String owner, Collection<String> ids, Collection<String> alive, String actor, String reason)
      throws SQLException {
    return recovery.handBack(owner, ids, alive, actor, reason);
  }
}
