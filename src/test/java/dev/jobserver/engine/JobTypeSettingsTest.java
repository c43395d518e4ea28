package dev.jobserver.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JobTypeSettingsTest {

  @Test
  void backoffDoublesPerFailedAttemptUpToAnHour() {
    JobTypeSettings s = new JobTypeSettings(Duration.ofMinutes(1), 5, Duration.ofMillis(500), 0);
    assertEquals(500, s.backoffMillis(1));
    assertEquals(1000, s.backoffMillis(2));
    assertEquals(2000, s.backoffMillis(3));
    assertEquals(3_600_000, s.backoffMillis(40));
  }

  @Test
  void atLeastOneAttempt() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new JobTypeSettings(Duration.ofMinutes(1), 0, Duration.ofMillis(1), 0));
  }

  @Test
  void settingsFromTheEnvironmentAreChecked() {
    assertEquals(16, EngineSettings.number("JOBSERVER_NO_SUCH_VARIABLE", 16, 1, 100));
  }
}
