package dev.jobserver.ops;

import dev.jobserver.database.JobserverDataSource;
import dev.jobserver.job.JobStatus;
import dev.jobserver.store.StatsReads;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Jobs by type and status for the gauges, read from the store's counters (one small query) at most
 * every {@link #MAX_AGE_MILLIS}, however often and by whom /metrics is scraped. While the database
 * cannot be read the last values stay.
 */
@ApplicationScoped
public class JobCountGauges {

  static final long MAX_AGE_MILLIS = 5000;

  /** Where the counts come from. */
  interface Source {
    Map<String, Map<JobStatus, Long>> read() throws Exception;
  }

  @Resource(lookup = JobserverDataSource.JNDI_NAME)
  private DataSource dataSource;

  private Source source;
  private LongSupplier clock = System::currentTimeMillis;
  private volatile Map<String, Map<JobStatus, Long>> last = Map.of();
  private volatile long readAt;
  private volatile boolean everRead;
  private boolean failing;

  private static final Logger LOG = Logger.getLogger(JobCountGauges.class.getName());

  public JobCountGauges() {}

  @PostConstruct
  void init() {
    StatsReads stats = StatsReads.over(dataSource);
    source = stats::counts;
  }

  /**
   * Nothing but being called: made at startup (see {@link OpsStartup}), in the application's
   * context, rather than by the first scrape on a thread of the server's, where its resources
   * cannot be injected.
   */
  void prepare() {}

  JobCountGauges(Source source, LongSupplier clock) {
    this.source = source;
    this.clock = clock;
  }

  /** Jobs of this type in this status, as of at most {@link #MAX_AGE_MILLIS} ago. */
  public long count(String type, JobStatus status) {
    refreshIfOld();
    return last.getOrDefault(type, Map.of()).getOrDefault(status, 0L);
  }

  private void refreshIfOld() {
    long now = clock.getAsLong();
    if (everRead && now - readAt < MAX_AGE_MILLIS) {
      return;
    }
    synchronized (this) {
      if (everRead && now - readAt < MAX_AGE_MILLIS) {
        return; // another scrape read them meanwhile
      }
      // also on failure: a database that is down is asked again only later
      readAt = now;
      everRead = true;
      try {
        last = source.read();
        failing = false;
      } catch (Exception e) {
        // the last values stay; readiness reports the database. Said once per outage.
        if (!failing) {
          LOG.log(Level.WARNING, "Reading the job counts for the metrics failed", e);
        }
        failing = true;
      }
    }
  }
}
