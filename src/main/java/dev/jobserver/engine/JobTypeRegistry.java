package dev.jobserver.engine;

import dev.jobserver.job.JobTypeCatalog;
import dev.jobserver.job.JobTypes;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Every job type this WAR knows: the {@link JobHandler} beans found at startup. */
@ApplicationScoped
public class JobTypeRegistry implements JobTypeCatalog {

  @Inject @Any private Instance<JobHandler> handlers;

  private final Map<String, JobHandler> byType = new TreeMap<>();

  /** A registry of these handlers (tests; the container collects the CDI beans). */
  static JobTypeRegistry of(JobHandler... handlers) {
    JobTypeRegistry registry = new JobTypeRegistry();
    registry.collect(java.util.List.of(handlers));
    return registry;
  }

  @PostConstruct
  void collect() {
    collect(handlers);
  }

  private void collect(Iterable<JobHandler> handlers) {
    for (JobHandler handler : handlers) {
      String type = handler.type();
      if (!JobTypes.isWellFormed(type)) {
        throw new IllegalStateException(
            "Job type '"
                + type
                + "' of "
                + handler.getClass().getName()
                + " is not [a-z0-9_]{1,32}");
      }
      JobHandler previous = byType.putIfAbsent(type, handler);
      if (previous != null) {
        throw new IllegalStateException(
            "Job type '"
                + type
                + "' is registered twice: "
                + previous.getClass().getName()
                + " and "
                + handler.getClass().getName());
      }
    }
  }

  @Override
  public boolean contains(String type) {
    return type != null && byType.containsKey(type);
  }

  @Override
  public void checkData(String type, Map<String, String> data) {
    JobHandler handler = byType.get(type);
    if (handler != null) {
      handler.checkData(data == null ? Map.of() : data);
    }
  }

  public JobHandler handler(String type) {
    return byType.get(type);
  }

  @Override
  public int maxAttempts(String type) {
    return settings(type).maxAttempts();
  }

  public JobTypeSettings settings(String type) {
    JobHandler handler = byType.get(type);
    return handler == null ? JobTypeSettings.DEFAULTS : handler.settings();
  }

  public Collection<JobHandler> all() {
    return Collections.unmodifiableCollection(byType.values());
  }
}
