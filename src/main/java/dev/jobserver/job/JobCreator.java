package dev.jobserver.job;

import dev.jobserver.engine.JobTypeRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.Map;

/**
 * Creates jobs for both APIs. A plain CDI bean writing through {@link JobQueue}, not the
 * {@code @Stateless} {@link JobService} with JPA: creating is the request every client makes most,
 * and a profile of the steady load put the EJB container, JPA's persist and flush and the JTA
 * commit at a large share of the server's CPU per create (README, Performance). It must not be
 * called inside a container transaction (its connection would be enlisted in it); the REST
 * resources call it outside one.
 */
@ApplicationScoped
public class JobCreator {

  @Inject private JobTypeRegistry types;
  @Inject private JobQueue queue;
  @Inject private Event<JobSignal> signals;
  private JobInserts inserts;

  @PostConstruct
  void init() {
    inserts = new JobInserts(queue::insert);
  }

  /**
   * Stores a new PENDING job with its "created" event (sharing the transaction with creates that
   * arrive meanwhile, see {@link JobInserts}) and wakes this instance's dispatcher (no transaction
   * is active, so the engine's after-success observer runs at once, after the commit).
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
    if (!types.contains(type)) {
      throw new UnknownJobTypeException(type);
    }
    String id = form == IdForm.TAIPY ? JobIds.newTaipyId(type) : JobIds.newMattermostId();
    Job job = new Job(id, type, priority, System.currentTimeMillis(), data);
    job.setForce(force);
    job.setCreatedBy(actor);
    job.setMaxAttempts(types.settings(type).maxAttempts());
    try {
      inserts.insert(job);
    } catch (SQLException e) {
      throw new IllegalStateException("could not store the new job: " + e.getMessage(), e);
    }
    signals.fire(new JobSignal(JobSignal.Kind.CREATED, id));
    return job;
  }
}
