package dev.jobserver.ops;

import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * The buckets of the run and wait timers (MicroProfile Metrics reads them from MicroProfile
 * Config), at the lowest precedence so that an operator may set others with the same properties.
 * Quantiles are off for them: each instance would compute its own, which cannot be added up; the
 * buckets can.
 */
public class MetricsDefaults implements ConfigSource {

  static final String TIMER_BUCKETS = "mp.metrics.distribution.timer.buckets";
  static final String PERCENTILES = "mp.metrics.distribution.percentiles";

  private static final String RUN_BUCKETS =
      "5ms,10ms,25ms,50ms,100ms,250ms,500ms,1s,2500ms,5s,10s,30s,60s,300s,900s,3600s";
  private static final String WAIT_BUCKETS =
      "5ms,10ms,25ms,50ms,100ms,250ms,500ms,1s,2500ms,5s,10s,30s,60s,300s,3600s";

  private static final Map<String, String> VALUES =
      Map.of(
          TIMER_BUCKETS,
          JobMetrics.RUN + "=" + RUN_BUCKETS + ";" + JobMetrics.WAIT + "=" + WAIT_BUCKETS,
          PERCENTILES,
          JobMetrics.RUN + "=;" + JobMetrics.WAIT + "=");

  @Override
  public Set<String> getPropertyNames() {
    return VALUES.keySet();
  }

  @Override
  public String getValue(String propertyName) {
    return VALUES.get(propertyName);
  }

  @Override
  public String getName() {
    return "jobserver-metrics-defaults";
  }

  @Override
  public int getOrdinal() {
    return 10;
  }
}
