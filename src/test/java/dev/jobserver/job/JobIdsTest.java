package dev.jobserver.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class JobIdsTest {

  @Test
  void mattermostIdsAre26LowercaseAlphanumericsAndUnique() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      String id = JobIds.newMattermostId();
      assertTrue(id.matches("[a-z0-9]{26}"), id);
      assertTrue(seen.add(id));
      assertTrue(JobIds.isValid(id));
    }
  }

  @Test
  void taipyIdsNameTheirConfig() {
    String id = JobIds.newTaipyId("my_task");
    assertTrue(id.matches("JOB_my_task_[0-9a-f-]{36}"), id);
    assertTrue(JobIds.isValid(id));
    assertEquals(4, UUID.fromString(id.substring("JOB_my_task_".length())).version());
  }

  @Test
  void taskIdsAreStableUuid4PerConfig() {
    String a = JobIds.taipyTaskId("sleep");
    assertEquals(a, JobIds.taipyTaskId("sleep"));
    assertFalse(a.equals(JobIds.taipyTaskId("noop")));
    UUID uuid = UUID.fromString(a.substring("TASK_sleep_".length()));
    assertEquals(4, uuid.version());
    assertEquals(2, uuid.variant());
    assertEquals(Optional.of("sleep"), JobIds.typeOfTaskId(a));
    assertEquals(Optional.empty(), JobIds.typeOfTaskId("sleep"));
    assertEquals(Optional.empty(), JobIds.typeOfTaskId("TASK_sleep_notauuid"));
  }

  @Test
  void malformedIdsAreRejected() {
    for (String bad :
        new String[] {
          null,
          "",
          "short",
          "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
          "a".repeat(27),
          "JOB_noop_123",
          "JOB_Noop_" + UUID.randomUUID(),
          "TASK_noop_" + UUID.randomUUID(),
          "abcdefghijklmnopqrstuvwxy!"
        }) {
      assertFalse(JobIds.isValid(bad), String.valueOf(bad));
    }
  }
}
