package dev.jobserver.job;

import dev.jobserver.engine.JobTypeRegistry;
import jakarta.ejb.Stateless;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.TypedQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The facade every API calls to read jobs and make the status changes clients ask for, each with
 * its job event in the same transaction ({@link JobCreator} creates them). Roles are checked at the
 * REST boundary; the actor passed in is the caller's token subject.
 */
@Stateless
public class JobService {

  @PersistenceContext(unitName = "jobserver")
  private EntityManager em;

  @Inject private JobTypeRegistry types;
  @Inject private Event<JobSignal> signals;

  public Optional<Job> find(String id) {
    return Optional.ofNullable(em.find(Job.class, id));
  }

  /** Newest first (ties: id descending), one page. */
  public List<Job> list(JobFilter filter, int page, int perPage) {
    if (perPage <= 0) {
      return List.of(); // per_page=0 asks for nothing (JPA would read 0 as "no limit")
    }
    StringBuilder jpql = new StringBuilder("SELECT j FROM Job j WHERE 1 = 1");
    if (!filter.types().isEmpty()) {
      jpql.append(" AND j.type IN :types");
    }
    if (!filter.statuses().isEmpty()) {
      jpql.append(" AND j.status IN :statuses");
    }
    jpql.append(" ORDER BY j.createAt DESC, j.id DESC");
    TypedQuery<Job> q = em.createQuery(jpql.toString(), Job.class);
    if (!filter.types().isEmpty()) {
      q.setParameter("types", new ArrayList<>(filter.types()));
    }
    if (!filter.statuses().isEmpty()) {
      q.setParameter("statuses", new ArrayList<>(filter.statuses()));
    }
    return q.setFirstResult(page * perPage).setMaxResults(perPage).getResultList();
  }

  /**
   * Asks a job to stop: a waiting job is canceled at once, a running one becomes CANCEL_REQUESTED
   * and the engine that runs it stops it. Returns the new status.
   */
  public JobStatus cancel(String id, String actor) {
    Job job = lock(id);
    JobStatus from = job.getStatus();
    JobStatus to = JobTransitions.cancel(from);
    change(job, to, actor, "cancel requested");
    return to;
  }

  /** Cancels a job unless it has finished already; a finished job is left as it is. */
  public JobStatus cancelIfUnfinished(String id, String actor) {
    Job job = lock(id);
    if (job.getStatus().isFinished()) {
      return job.getStatus();
    }
    JobStatus to = JobTransitions.cancel(job.getStatus());
    change(job, to, actor, "cancel requested");
    return to;
  }

  /** A status change a client asks for (Mattermost's PATCH .../status). Returns the new status. */
  public JobStatus changeStatus(String id, JobStatus target, boolean force, String actor) {
    Job job = lock(id);
    JobStatus to = JobTransitions.patch(job.getStatus(), target, force);
    change(job, to, actor, force ? "status set (forced)" : "status set");
    return to;
  }

  /** Deletes a finished job with its result and events (the foreign keys cascade). */
  public void delete(String id, String actor) {
    Job job = lock(id);
    if (!job.getStatus().isFinished()) {
      throw new IllegalTransitionException(job.getStatus(), "Job: " + id + " cannot be deleted.");
    }
    em.remove(job);
  }

  private Job lock(String id) {
    Job job = em.find(Job.class, id, LockModeType.PESSIMISTIC_WRITE);
    if (job == null) {
      throw new JobNotFoundException(id);
    }
    return job;
  }

  private void change(Job job, JobStatus to, String actor, String message) {
    JobStatus from = job.getStatus();
    if (from == to) {
      return;
    }
    long now = System.currentTimeMillis();
    job.setStatus(to);
    job.setLastActivityAt(now);
    if (to == JobStatus.PENDING) {
      // requeued: runs again as soon as a worker is free, with a fresh attempt budget
      job.setRunAfter(0);
      job.setMaxAttempts(job.getAttempt() + types.settings(job.getType()).maxAttempts());
    }
    if (to.isFinished() || to == JobStatus.PENDING) {
      job.clearLease();
    }
    em.flush();
    JobEvents.record(em, job.getId(), now, actor, from, to, message);
    if (from == JobStatus.RUNNING || from == JobStatus.CANCEL_REQUESTED) {
      signals.fire(new JobSignal(JobSignal.Kind.STOP_REQUESTED, job.getId()));
    } else if (to == JobStatus.PENDING) {
      signals.fire(new JobSignal(JobSignal.Kind.CREATED, job.getId()));
    }
  }
}
