package dev.jobserver.job;

import static dev.jobserver.job.JobStatus.BLOCKED;
import static dev.jobserver.job.JobStatus.CANCELED;
import static dev.jobserver.job.JobStatus.CANCEL_REQUESTED;
import static dev.jobserver.job.JobStatus.COMPLETED;
import static dev.jobserver.job.JobStatus.FAILED;
import static dev.jobserver.job.JobStatus.PENDING;
import static dev.jobserver.job.JobStatus.RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class JobTransitionsTest {

  @Test
  void cancel() {
    assertEquals(CANCELED, JobTransitions.cancel(PENDING));
    assertEquals(CANCELED, JobTransitions.cancel(BLOCKED));
    assertEquals(CANCEL_REQUESTED, JobTransitions.cancel(RUNNING));
    assertEquals(CANCEL_REQUESTED, JobTransitions.cancel(CANCEL_REQUESTED));
    for (JobStatus finished : JobStatus.FINISHED) {
      assertThrows(IllegalTransitionException.class, () -> JobTransitions.cancel(finished));
    }
  }

  @Test
  void patchWithoutForce() {
    assertEquals(PENDING, JobTransitions.patch(RUNNING, PENDING, false));
    assertEquals(CANCEL_REQUESTED, JobTransitions.patch(RUNNING, CANCEL_REQUESTED, false));
    assertEquals(CANCELED, JobTransitions.patch(PENDING, CANCEL_REQUESTED, false));
    assertEquals(CANCELED, JobTransitions.patch(CANCEL_REQUESTED, CANCELED, false));
    assertThrows(
        IllegalTransitionException.class, () -> JobTransitions.patch(PENDING, PENDING, false));
    assertThrows(
        IllegalTransitionException.class, () -> JobTransitions.patch(COMPLETED, PENDING, false));
    assertThrows(
        IllegalTransitionException.class, () -> JobTransitions.patch(RUNNING, CANCELED, false));
    assertThrows(
        IllegalTransitionException.class,
        () -> JobTransitions.patch(FAILED, CANCEL_REQUESTED, false));
    assertThrows(
        IllegalTransitionException.class, () -> JobTransitions.patch(RUNNING, COMPLETED, false));
  }

  @Test
  void patchWithForce() {
    for (JobStatus from : JobStatus.values()) {
      assertEquals(PENDING, JobTransitions.patch(from, PENDING, true));
      assertEquals(CANCELED, JobTransitions.patch(from, CANCELED, true));
      assertThrows(
          IllegalTransitionException.class, () -> JobTransitions.patch(from, COMPLETED, true));
      assertThrows(
          IllegalTransitionException.class, () -> JobTransitions.patch(from, RUNNING, true));
    }
    assertEquals(CANCEL_REQUESTED, JobTransitions.patch(RUNNING, CANCEL_REQUESTED, true));
    assertEquals(CANCELED, JobTransitions.patch(COMPLETED, CANCEL_REQUESTED, true));
    assertEquals(CANCELED, JobTransitions.patch(PENDING, CANCEL_REQUESTED, true));
  }
}
