package dev.jobserver.worker;

/**
 * Told what remote workers did on this instance (metrics): a CDI bean that implements it is found;
 * it must return quickly and never throw.
 */
public interface WorkerListener {

  /** A claim handed out {@code jobs} jobs of this type. */
  default void claimed(String type, int jobs) {}

  /** A heartbeat extended a lease. */
  default void heartbeat() {}

  /** A worker's write was refused: its lease was lost (expired, ended, another run's). */
  default void leaseLost() {}
}
