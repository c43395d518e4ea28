package dev.jobserver.handlers;

import dev.jobserver.engine.JobContext;
import dev.jobserver.engine.JobHandler;
import dev.jobserver.engine.JobTypeSettings;
import dev.jobserver.store.JobStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;

/**
 * Deletes finished jobs (with their results and events) created more than {@code older_than_days}
 * days ago (default 30), in batches, reporting progress. A run that finds nothing to delete ends
 * SKIPPED. Like any type it can run on a schedule; none is created by default.
 */
@ApplicationScoped
public class DataRetentionHandler implements JobHandler {

  static final int BATCH = 1000;

  @Inject private JobStore store;

  @Override
  public String type() {
    return "data_retention";
  }

  @Override
  public String description() {
    return "Deletes finished jobs, their results and events created more than"
        + " data.older_than_days (default 30) days ago.";
  }

  @Override
  public JobTypeSettings settings() {
    return new JobTypeSettings(Duration.ofHours(6), 1, Duration.ofSeconds(5), 1);
  }

  @Override
  public void run(JobContext context) throws Exception {
    long days = Params.longValue(context.data(), "older_than_days", 30, 0, 36_500);
    long cutoff = System.currentTimeMillis() - Duration.ofDays(days).toMillis();
    long total = store.countFinishedBefore(cutoff);
    long deleted = 0;
    while (!context.cancelRequested()) {
      int n = store.deleteFinishedBefore(cutoff, BATCH);
      if (n == 0) {
        break;
      }
      deleted += n;
      context.progress(total == 0 ? 100 : (int) Math.min(99, deleted * 100 / total));
    }
    context.putData("deleted", Long.toString(deleted));
    if (deleted == 0 && !context.cancelRequested()) {
      context.skip("no finished job was older than " + days + " days");
    }
  }
}
