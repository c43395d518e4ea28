package dev.jobserver.job;

/**
 * Fired (after commit) when the engine on this instance should act at once rather than at its next
 * poll: a job was created, or a running job was asked to stop.
 */
public record JobSignal(Kind kind, String jobId) {
  public enum Kind {
    CREATED,
    STOP_REQUESTED
  }
}
