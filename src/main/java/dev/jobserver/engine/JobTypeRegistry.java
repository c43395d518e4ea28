package dev.jobserver.engine;

import dev.jobserver.job.JobTypeCatalog;
import dev.jobserver.job.JobTypes;
import dev.jobserver.store.RemoteTypeStore;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Every job type this server knows: the {@link JobHandler} beans found at startup, and the remote
 * types declared in the database ({@link RemoteType}), read through a cache of at most {@link
 * #REMOTE_TTL_NANOS} that a write on this instance refreshes at once and a name it does not know
 * reads again: a type declared on any instance is known on every one at once.
 */
@ApplicationScoped
public class JobTypeRegistry implements JobTypeCatalog {

  /** How long the remote types read last are used before they are read again. */
  static final long REMOTE_TTL_NANOS = 1_000_000_000L;

  private static final Logger LOG = Logger.getLogger(JobTypeRegistry.class.getName());

  @Inject @Any private Instance<JobHandler> handlers;
  @Inject private RemoteTypeStore remoteStore;

  private final Map<String, JobHandler> byType = new TreeMap<>();

  private volatile Map<String, RemoteType> remote = Map.of();
  private volatile long remoteReadAt = System.nanoTime() - 2 * REMOTE_TTL_NANOS;

  /** A registry of these handlers (tests; the container collects the CDI beans). */
  static JobTypeRegistry of(JobHandler... handlers) {
    JobTypeRegistry registry = new JobTypeRegistry();
    registry.collect(java.util.List.of(handlers));
    return registry;
  }

  /** A registry of these handlers and the remote types in this store (tests). */
  static JobTypeRegistry of(RemoteTypeStore remote, JobHandler... handlers) {
    JobTypeRegistry registry = of(handlers);
    registry.remoteStore = remote;
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
    return type != null && (byType.containsKey(type) || remoteType(type) != null);
  }

  /** The handler in the WAR that runs the type here; null for a remote or unknown type. */
  public JobHandler handler(String type) {
    return byType.get(type);
  }

  /** Whether a handler in this WAR implements the type (built in, or a site's own). */
  public boolean isBuiltIn(String type) {
    return type != null && byType.containsKey(type);
  }

  @Override
  public void checkData(String type, Map<String, String> data) {
    JobHandler handler = byType.get(type);
    if (handler != null) {
      handler.checkData(data == null ? Map.of() : data);
    }
  }

  /** The remote type of this name, read again when the cache does not know it; or null. */
  public RemoteType remoteType(String type) {
    if (type == null || byType.containsKey(type)) {
      return null;
    }
    RemoteType r = remoteTypes().get(type);
    if (r == null) {
      r = refreshRemote().get(type); // declared elsewhere a moment ago: known here at once
    }
    return r;
  }

  /** The declared remote types, by name (at most {@link #REMOTE_TTL_NANOS} old). */
  public Map<String, RemoteType> remoteTypes() {
    if (System.nanoTime() - remoteReadAt > REMOTE_TTL_NANOS) {
      return refreshRemote();
    }
    return remote;
  }

  /** Reads the remote types again (after a write here, or when the cache is old). */
  public synchronized Map<String, RemoteType> refreshRemote() {
    if (remoteStore == null) {
      return remote;
    }
    try {
      Map<String, RemoteType> read = new TreeMap<>();
      for (RemoteTypeStore.Row row : remoteStore.all()) {
        read.put(
            row.name(),
            new RemoteType(
                row.name(),
                new JobTypeSettings(
                    Duration.ofMillis(row.timeoutMs()),
                    row.maxAttempts(),
                    Duration.ofMillis(row.backoffMs()),
                    row.maxConcurrent())));
      }
      remote = Collections.unmodifiableMap(read);
      remoteReadAt = System.nanoTime();
    } catch (SQLException | RuntimeException e) {
      // the database is out of reach: go on with what was read last
      LOG.log(Level.FINE, "Reading the remote job types failed", e);
    }
    return remote;
  }

  @Override
  public int maxAttempts(String type) {
    return settings(type).maxAttempts();
  }

  public JobTypeSettings settings(String type) {
    JobHandler handler = byType.get(type);
    if (handler == null) {
      handler = remoteType(type);
    }
    return handler == null ? JobTypeSettings.DEFAULTS : handler.settings();
  }

  /** Every type, the WAR's handlers and the remote types, by name. */
  public Collection<JobHandler> all() {
    Map<String, RemoteType> remotes = remoteTypes();
    if (remotes.isEmpty()) {
      return Collections.unmodifiableCollection(byType.values());
    }
    Map<String, JobHandler> every = new TreeMap<>(remotes);
    every.putAll(byType);
    return Collections.unmodifiableCollection(new ArrayList<>(every.values()));
  }

  /** The handlers in this WAR only (what this instance's engine runs). */
  public List<JobHandler> builtIn() {
    return List.copyOf(byType.values());
  }
}
