package dev.jobserver.engine;

/**
 * A job type that workers elsewhere run (declared with {@code PUT /types/{name}}): listed and
 * created like any type, but this instance's engine never claims its jobs, and it has no code here.
 */
public final class RemoteType implements JobHandler {

  private final String type;
  private final JobTypeSettings settings;

  public RemoteType(String type, JobTypeSettings settings) {
    this.type = type;
    this.settings = settings;
  }

  @Override
  public String type() {
    return type;
  }

  @Override
  public String description() {
    return "remote: run by workers over the worker protocol";
  }

  /** Timeout, retries, and the most runs at once across all workers and instances. */
  @Override
  public JobTypeSettings settings() {
    return settings;
  }

  @Override
  public void run(JobContext context) {
    throw new IllegalStateException("Job type '" + type + "' is run by remote workers");
  }
}
