package dev.jobserver.engine;

import dev.jobserver.store.InstanceStore;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * An {@code engine_instance} row as JPA maps it (Liquibase owns the table): what the stats read the
 * live instances by ({@code service.JobService}). Only its engine writes it, by its heartbeat and
 * at its stop, with SQL ({@link InstanceStore}: see there why).
 */
@Entity
@Table(name = "engine_instance")
public class StoredInstance {

  /**
   * The instances seen within {@link InstanceStore#ALIVE_LEASES} of their leases before {@code
   * :now}, by id.
   */
  public static final String ALIVE =
      "SELECT i FROM StoredInstance i WHERE i.lastSeenAt + i.leaseMillis * "
          + InstanceStore.ALIVE_LEASES
          + " >= :now ORDER BY i.id";

  @Id
  @Column(length = 64)
  private String id;

  private int workers;
  private int busy;

  @Column(name = "lease_ms")
  private long leaseMillis;

  @Column(name = "started_at")
  private long startedAt;

  @Column(name = "last_seen_at")
  private long lastSeenAt;

  protected StoredInstance() {}

  public InstanceStore.Instance toInstance() {
    return new InstanceStore.Instance(id, workers, busy, leaseMillis, startedAt, lastSeenAt);
  }
}
