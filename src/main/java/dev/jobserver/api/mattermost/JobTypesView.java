package dev.jobserver.api.mattermost;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.engine.JobHandler;
import dev.jobserver.engine.JobTypeSettings;
import dev.jobserver.engine.RemoteType;
import dev.jobserver.job.JobIds;
import jakarta.json.JsonArrayBuilder;
import java.util.Collection;

/** The job types list (extension endpoint). */
final class JobTypesView {
  private JobTypesView() {}

  static String list(Collection<JobHandler> handlers) {
    JsonArrayBuilder a = JSON.createArrayBuilder();
    for (JobHandler h : handlers) {
      JobTypeSettings s = h.settings();
      a.add(
          JSON.createObjectBuilder()
              .add("type", h.type())
              .add("description", h.description())
              .add("task_id", JobIds.taipyTaskId(h.type()))
              .add("timeout_ms", s.timeout().toMillis())
              .add("max_attempts", s.maxAttempts())
              .add("backoff_ms", s.backoff().toMillis())
              .add("max_concurrent", s.maxConcurrent())
              .add("remote", h instanceof RemoteType));
    }
    return a.build().toString();
  }
}
