package dev.jobserver.job;

/**
 * Which parts of each job a list reads: a view that does not show a part does not pay for reading
 * it (a job's data may be 1 MiB, its stack traces 160 KB).
 */
public enum JobFields {
  /** Everything but the data: the Taipy view shows stack traces and no data. */
  WITHOUT_DATA(false, true, false),
  /** Everything but the stack traces: the Mattermost view, and the CSV export. */
  WITHOUT_TRACES(true, false, false),
  /**
   * The data, each job's result file's description and the ids of the jobs it depends on, without
   * stack traces: the native lists.
   */
  WITH_RESULTS(true, false, true);

  private final boolean data;
  private final boolean traces;
  private final boolean results;

  JobFields(boolean data, boolean traces, boolean results) {
    this.data = data;
    this.traces = traces;
    this.results = results;
  }

  public boolean data() {
    return data;
  }

  public boolean traces() {
    return traces;
  }

  /** With the result file's description and the dependencies. */
  public boolean results() {
    return results;
  }
}
