package dev.jobserver.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jobserver.job.JobStatus;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JobCountGaugesTest {

  private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
  private final AtomicInteger reads = new AtomicInteger();
  private volatile Map<String, Map<JobStatus, Long>> table =
      Map.of("noop", Map.of(JobStatus.COMPLETED, 3L));
  private volatile boolean down;

  private final JobCountGauges gauges =
      new JobCountGauges(
          () -> {
            reads.incrementAndGet();
            if (down) {
              throw new java.sql.SQLException("down", "08001");
            }
            return table;
          },
          now::get);

  @Test
  void countsAreReadAtFirstUseThenAtMostEveryFiveSeconds() {
    assertEquals(3, gauges.count("noop", JobStatus.COMPLETED));
    assertEquals(0, gauges.count("noop", JobStatus.FAILED));
    assertEquals(0, gauges.count("sleep", JobStatus.COMPLETED));
    assertEquals(1, reads.get());
    table = Map.of("noop", Map.of(JobStatus.COMPLETED, 4L));
    now.addAndGet(4999);
    assertEquals(3, gauges.count("noop", JobStatus.COMPLETED), "cached");
    now.addAndGet(1);
    assertEquals(4, gauges.count("noop", JobStatus.COMPLETED));
    assertEquals(2, reads.get());
  }

  @Test
  void whileTheDatabaseIsDownTheLastCountsStayAndItIsAskedOnlyEveryFiveSeconds() {
    assertEquals(3, gauges.count("noop", JobStatus.COMPLETED));
    down = true;
    now.addAndGet(5000);
    assertEquals(3, gauges.count("noop", JobStatus.COMPLETED));
    assertEquals(3, gauges.count("noop", JobStatus.COMPLETED));
    assertEquals(2, reads.get());
    down = false;
    table = Map.of();
    now.addAndGet(5000);
    assertEquals(0, gauges.count("noop", JobStatus.COMPLETED));
  }
}
