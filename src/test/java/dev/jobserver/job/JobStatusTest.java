package dev.jobserver.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class JobStatusTest {

  @Test
  void apiNamesFollowTheContractTable() {
    assertEquals("pending", JobStatus.BLOCKED.mattermost());
    assertEquals("Status.BLOCKED", JobStatus.BLOCKED.taipy());
    assertEquals("cancel_requested", JobStatus.CANCEL_REQUESTED.mattermost());
    assertEquals("Status.RUNNING", JobStatus.CANCEL_REQUESTED.taipy());
    assertEquals("warning", JobStatus.WARNING.mattermost());
    assertEquals("Status.COMPLETED", JobStatus.WARNING.taipy());
    assertEquals("success", JobStatus.SKIPPED.mattermost());
    assertEquals("canceled", JobStatus.ABANDONED.mattermost());
    assertEquals("error", JobStatus.FAILED.mattermost());
  }

  @Test
  void v4FilterNamesCoverEveryInternalStatusThatShowsThatWay() {
    assertEquals(
        List.of(JobStatus.PENDING, JobStatus.BLOCKED), JobStatus.fromMattermost("pending"));
    assertEquals(
        List.of(JobStatus.COMPLETED, JobStatus.SKIPPED), JobStatus.fromMattermost("success"));
    assertEquals(
        List.of(JobStatus.CANCELED, JobStatus.ABANDONED), JobStatus.fromMattermost("canceled"));
    assertTrue(JobStatus.fromMattermost("done").isEmpty());
  }

  @Test
  void finished() {
    assertFalse(JobStatus.RUNNING.isFinished());
    assertFalse(JobStatus.CANCEL_REQUESTED.isFinished());
    assertTrue(JobStatus.SKIPPED.isFinished());
    assertEquals(6, JobStatus.FINISHED.size());
  }
}
