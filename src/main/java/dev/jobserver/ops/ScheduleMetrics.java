package dev.jobserver.ops;

import dev.jobserver.schedule.ScheduleListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.Tag;

/**
 * Schedules' due times as this instance fired them: {@code jobserver_schedule_runs_total{schedule,
 * outcome}}, outcome {@code fired} (a job was created), {@code skipped} (none: the previous job was
 * unfinished) or {@code missed} (it passed while no instance fired it). Any instance may fire any
 * schedule, so sum over instances. The counts since the schedule was created, for the whole
 * cluster, are also in the schedule itself ({@code runs}).
 */
@ApplicationScoped
public class ScheduleMetrics implements ScheduleListener {

  static final String RUNS = "jobserver_schedule_runs";

  private static final Metadata METADATA =
      Metadata.builder()
          .withName(RUNS)
          .withDescription(
              "Due times of a schedule that this instance fired (a job created), skipped (the"
                  + " previous job unfinished) or found missed (none fired it in time).")
          .build();

  @Inject private MetricRegistry registry;

  @Override
  public void fired(String scheduleId, int created, long skipped, long missed) {
    add(scheduleId, "fired", created);
    add(scheduleId, "skipped", skipped);
    add(scheduleId, "missed", missed);
  }

  private void add(String scheduleId, String outcome, long n) {
    if (n > 0) {
      registry
          .counter(METADATA, new Tag("schedule", scheduleId), new Tag("outcome", outcome))
          .inc(n);
    }
  }
}
