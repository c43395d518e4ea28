package dev.jobserver.service;

import dev.jobserver.engine.StoredInstance;
import dev.jobserver.job.IdForm;
import dev.jobserver.job.IllegalTransitionException;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobEvent;
import dev.jobserver.job.JobFields;
import dev.jobserver.job.JobIds;
import dev.jobserver.job.JobLifecycle;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.job.JobLifecycle.Transition;
import dev.jobserver.job.JobPages;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.JobResultInfo;
import dev.jobserver.job.JobSignal;
import dev.jobserver.job.JobStatus;
import dev.jobserver.job.JobTypeCatalog;
import dev.jobserver.job.StoreException;
import dev.jobserver.job.StoredJobEvent;
import dev.jobserver.job.UnknownDependencyException;
import dev.jobserver.job.UnknownJobTypeException;
import dev.jobserver.store.InstanceStore;
import dev.jobserver.store.JobReads;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.ResultStore;
import dev.jobserver.store.StatsReads;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionManagement;
import jakarta.ejb.TransactionManagementType;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The service every API calls: creates jobs, reads them, and makes the status changes callers ask
 * for. Reads go through JPA; every write goes through {@link JobStore}, which applies what {@link
 * JobLifecycle} decided with the job's event in one local transaction. The transactions are the
 * store's (bean-managed here): one store path per table, never a JTA transaction around JDBC
 * batches. Roles are checked at the REST boundary; the actor passed in is the caller's token
 * subject.
 */
@Stateless
@TransactionManagement(TransactionManagementType.BEAN)
public class JobService {

  @PersistenceContext(unitName = "jobserver")
  private EntityManager em;

  @Inject private JobTypeCatalog types;
  @Inject private JobStore store;
  @Inject private JobReads reads;
  @Inject private ResultStore results;
  @Inject private StatsReads stats;
  @Inject private Event<JobSignal> signals;

  /**
   * Stores a new PENDING job with its "created" event (sharing the transaction with creates that
   * arrive meanwhile) and wakes this instance's dispatcher.
   *
   * @throws UnknownJobTypeException if no handler is registered for the type
   */
  public Job create(
      String type,
      Map<String, String> data,
      int priority,
      IdForm form,
      boolean force,
      String actor) {
    return create(type, data, priority, 0, null, List.of(), form, force, actor);
  }

  /**
   * Stores a new job, as {@link #create(String, Map, int, IdForm, boolean, String)}, that starts no
   * earlier than {@code runAfter}, may take {@code maxAttempts} runs and, with {@code dependsOn},
   * waits for those jobs: it is BLOCKED until each has ended well (PENDING at once if they all
   * have), ABANDONED if one ended failed, canceled or abandoned. Wakes this instance's dispatcher
   * when it is pending.
   *
   * @param runAfter epoch ms before which it is not claimed (0: at once)
   * @param maxAttempts the most runs it may take, or null for its type's setting
   * @param dependsOn ids of existing jobs, without repeats (empty: none)
   * @throws UnknownJobTypeException if no handler is registered for the type
   * @throws UnknownDependencyException naming an id in {@code dependsOn} that is no job
   * @throws InvalidJobDataException naming a data key the type refuses
   */
  public Job create(
      String type,
      Map<String, String> data,
      int priority,
      long runAfter,
      Integer maxAttempts,
      List<String> dependsOn,
      IdForm form,
      boolean force,
      String actor) {
    if (!types.contains(type)) {
      throw new UnknownJobTypeException(type);
    }
    types.checkData(type, data);
    String id = form == IdForm.TAIPY ? JobIds.newTaipyId(type) : JobIds.newMattermostId();
    Job job = new Job(id, type, priority, System.currentTimeMillis(), data);
    job.setForce(force);
    job.setCreatedBy(actor);
    job.setMaxAttempts(maxAttempts == null ? types.maxAttempts(type) : maxAttempts);
    job.setRunAfter(runAfter);
    try {
      if (dependsOn.isEmpty()) {
        store.insert(job);
      } else {
        job.setDependsOn(dependsOn);
        store.insertWaiting(job, dependsOn);
      }
    } catch (SQLException e) {
      throw StoreException.of("Storing the new job failed", e);
    }
    if (job.getStatus() == JobStatus.PENDING) {
      signals.fire(new JobSignal(JobSignal.Kind.CREATED, id));
    }
    return job;
  }

  public Optional<Job> find(String id) {
    return Optional.ofNullable(em.find(Job.class, id));
  }

  /**
   * The jobs a query asks for, to be read a page at a time ({@link JobPages}): no database
   * connection is held between pages, so whoever writes them to a client (that may read slowly or
   * stop reading) holds none, nor this bean. Nothing is read until the first page is asked for.
   *
   * @param fields the parts of each job the caller shows
   */
  public JobPages list(JobQuery query, JobFields fields) {
    return reads.pages(query, fields);
  }

  /** What {@link #stats} reports. */
  public record Stats(
      Map<String, Map<JobStatus, Long>> counts,
      Map<String, StatsReads.Runs> lastHour,
      List<InstanceStore.Instance> instances) {}

  /**
   * Jobs by type and status, the runs of the last hour by type, and the live instances: read from
   * the counters the store keeps, never by counting jobs, and from the instances' rows (JPA).
   */
  public Stats stats() {
    long now = System.currentTimeMillis();
    try {
      return new Stats(
          stats.counts(), stats.runsSince(now - 3_600_000L + 60_000L), instancesAlive(now));
    } catch (SQLException e) {
      throw StoreException.of("Reading the stats failed", e);
    }
  }

  /** The instances alive at {@code now} (see {@link StoredInstance}), by id. */
  private List<InstanceStore.Instance> instancesAlive(long now) {
    return em
        .createQuery(StoredInstance.ALIVE, StoredInstance.class)
        .setParameter("now", now)
        .getResultList()
        .stream()
        .map(StoredInstance::toInstance)
        .toList();
  }

  /** A job with its result file's description. */
  public Optional<JobRecord> record(String id) {
    return find(id)
        .map(
            job -> {
              try {
                job.setDependsOn(reads.dependsOn(id));
              } catch (SQLException e) {
                throw StoreException.of("Reading the dependencies of job " + id + " failed", e);
              }
              return JobRecord.of(job, results.info(id).orElse(null));
            });
  }

  /** A job's status changes, oldest first. */
  public List<JobEvent> events(String id) {
    return em
        .createQuery(
            "SELECT e FROM StoredJobEvent e WHERE e.jobId = :id ORDER BY e.id",
            StoredJobEvent.class)
        .setParameter("id", id)
        .getResultList()
        .stream()
        .map(StoredJobEvent::toEvent)
        .toList();
  }

  /**
   * Gives a failed, canceled or abandoned job a fresh attempt budget: it is pending again (its
   * events keep the history).
   *
   * @throws IllegalTransitionException for any other status
   */
  public JobStatus retry(String id, String actor) {
    return change(id, Cause.RETRY, actor, "retry requested").to();
  }

  /** The job's result file if it has one that may be downloaded (its run completed). */
  public Optional<JobResultInfo> result(Job job) {
    return job.getStatus().isFinished() ? results.info(job.getId()) : Optional.empty();
  }

  /**
   * Writes bytes {@code [from, to]} of a job's result, the one {@code info} describes, a chunk at a
   * time with no connection held while writing.
   */
  public void copyResult(JobResultInfo info, long from, long to, OutputStream out)
      throws IOException {
    results.copy(info, from, to, out);
  }

  /**
   * Asks a job to stop: a waiting job is canceled at once, a running one becomes CANCEL_REQUESTED
   * and the engine that runs it stops it. Returns the new status.
   */
  public JobStatus cancel(String id, String actor) {
    return change(id, Cause.CANCEL, actor, "cancel requested").to();
  }

  /** Cancels a job unless it has finished already; a finished job is left as it is. */
  public JobStatus cancelIfUnfinished(String id, String actor) {
    try {
      return cancel(id, actor);
    } catch (IllegalTransitionException finished) {
      return finished.from();
    }
  }

  /** A status change a client asks for (Mattermost's PATCH .../status). Returns the new status. */
  public JobStatus changeStatus(String id, JobStatus target, boolean force, String actor) {
    Cause cause = JobLifecycle.causeOfPatch(target, force);
    return change(id, cause, actor, force ? "status set (forced)" : "status set").to();
  }

  /** Deletes a finished job with its result and events. */
  public void delete(String id, String actor) {
    try {
      store.delete(id);
    } catch (SQLException e) {
      throw StoreException.of("Deleting job " + id + " failed", e);
    }
  }

  private Transition change(String id, Cause cause, String actor, String message) {
    Transition t;
    try {
      t = store.change(id, cause, actor, message, types::maxAttempts);
    } catch (SQLException e) {
      throw StoreException.of("Changing job " + id + " failed", e);
    }
    if (t.stopsRun()) {
      signals.fire(new JobSignal(JobSignal.Kind.STOP_REQUESTED, id));
    } else if (t.wakesDispatcher()) {
      signals.fire(new JobSignal(JobSignal.Kind.CREATED, id));
    }
    return t;
  }
}
