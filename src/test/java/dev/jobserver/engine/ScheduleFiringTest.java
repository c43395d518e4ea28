package dev.jobserver.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.job.Job;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.schedule.Schedule;
import dev.jobserver.schedule.ScheduleDefinition;
import dev.jobserver.schedule.ScheduleNotFoundException;
import dev.jobserver.store.JobStore;
import dev.jobserver.store.ScheduleFirings;
import dev.jobserver.store.ScheduleReads;
import dev.jobserver.store.TestDatabase;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Schedules fired against a real database (H2, or PostgreSQL with -Ppostgres) on a clock the test
 * sets: one job per due time across instances, overlap, misfire, pause, and a trigger recorded with
 * its actor. (The callers' other changes, through JPA, are ScheduleIT's, in server; their rules are
 * StoredScheduleTest's.)
 */
class ScheduleFiringTest {

  static final long T0 = 1_800_000_000_000L;

  /** A clock the test moves. */
  static final class Clock implements EngineClock {
    final AtomicLong now = new AtomicLong(T0);

    @Override
    public long millis() {
      return now.get();
    }

    @Override
    public long nanos() {
      return now.get() * 1_000_000L;
    }
  }

  private final TestDatabase db = new TestDatabase();
  private final JobStore jobs = JobStore.over(db.ds);
  private final ScheduleFirings firings = ScheduleFirings.over(db.ds, jobs);
  private final Clock clock = new Clock();
  private final List<ScheduleFirings.Fired> counted =
      Collections.synchronizedList(new ArrayList<>());
  private final ScheduleFiring firing = firing(5_000);

  private ScheduleFiring firing(long grace) {
    return new ScheduleFiring(
        clock,
        () -> firings,
        ScheduleFiring.jobs(type -> 1),
        grace,
        50,
        () -> {},
        counted::addAll,
        "engine:test");
  }

  /** Every type exists, with one attempt. */
  static final dev.jobserver.job.JobTypeCatalog TYPES =
      new dev.jobserver.job.JobTypeCatalog() {
        @Override
        public boolean contains(String type) {
          return true;
        }

        @Override
        public int maxAttempts(String type) {
          return 1;
        }
      };

  @AfterEach
  void drop() throws Exception {
    db.close();
  }

  private Schedule create(String every, String overlap, String misfire) throws Exception {
    Schedule s =
        new ScheduleDefinition(
                "s", "noop", Map.of("k", "v"), null, every, null, overlap, misfire, false)
            .toSchedule(
                TYPES,
                "sch" + counted.size() + System.nanoTime() % 100000,
                "alice",
                clock.millis(),
                clock.millis());
    ScheduleReads.insert(db.ds, s);
    return s;
  }

  private List<String> jobsOf(String scheduleId) {
    return db.rows(
        "SELECT due_at, status, created_by FROM job WHERE schedule_id = ? ORDER BY create_at, id",
        scheduleId);
  }

  private void finishAll() {
    db.rows("SELECT 1"); // (statements below go through SQL: the jobs are not run here)
    try (var c = db.ds.getConnection()) {
      c.createStatement().executeUpdate("UPDATE job SET status = 'COMPLETED'");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aDueScheduleMakesOneJobByItsScheduleAndMovesOn() throws Exception {
    Schedule s = create("PT10S", null, null);
    assertEquals(T0 + 10_000, s.nextRunAt());
    assertEquals(List.of(), firing.fire(), "not due yet");
    clock.now.addAndGet(10_050);
    firing.fire();
    assertEquals(List.of((T0 + 10_000) + "|PENDING|schedule:" + s.id()), jobsOf(s.id()));
    String job = db.one("SELECT id FROM job WHERE schedule_id = ?", s.id());
    assertEquals(
        "null|PENDING|schedule:" + s.id(),
        db.one("SELECT old_status, new_status, actor FROM job_event WHERE job_id = ?", job));
    assertEquals("{\"k\":\"v\"}", db.one("SELECT data FROM job WHERE id = ?", job));
    Schedule after = ScheduleReads.get(db.ds, s.id()).orElseThrow();
    assertEquals(T0 + 20_000, after.nextRunAt());
    assertEquals(job, after.lastJobId());
    assertEquals(1, after.fired());
    assertEquals(List.of(), firing.fire(), "once per due time");
  }

  @Test
  void twoInstancesFiringAtOnceMakeExactlyOneJobPerDueTime() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      ids.add(create("PT1S", "allow", null).id());
    }
    ScheduleFiring other = firing(5_000);
    // (the first count rows are made alone: H2's MERGE of a key no row has yet is not atomic)
    create("PT1H", null, null);
    jobs.insert(new Job("warm", "noop", 0, T0, Map.of()));
    ExecutorService two = Executors.newFixedThreadPool(2);
    for (int round = 0; round < 20; round++) {
      clock.now.addAndGet(1000);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (ScheduleFiring instance : List.of(firing, other)) {
        done.add(
            two.submit(
                () -> {
                  go.await();
                  instance.fire();
                  instance.fire();
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get();
      }
    }
    two.shutdown();
    assertEquals("600", db.one("SELECT COUNT(*) FROM job WHERE schedule_id IS NOT NULL"));
    assertEquals("600", db.one("SELECT COUNT(DISTINCT schedule_id || ':' || due_at) FROM job"));
    for (String id : ids) {
      assertEquals(20, ScheduleReads.get(db.ds, id).orElseThrow().fired());
    }
  }

  @Test
  void overlapSkipWaitsForThePreviousJobAllowDoesNot() throws Exception {
    Schedule skip = create("PT1S", null, null);
    Schedule allow = create("PT1S", "allow", null);
    for (int i = 0; i < 3; i++) {
      clock.now.addAndGet(1000);
      firing.fire();
    }
    assertEquals(1, jobsOf(skip.id()).size(), "its first job never ran");
    assertEquals(2, ScheduleReads.get(db.ds, skip.id()).orElseThrow().skipped());
    assertEquals(3, jobsOf(allow.id()).size());
    finishAll();
    clock.now.addAndGet(1000);
    firing.fire();
    assertEquals(2, jobsOf(skip.id()).size(), "the previous one ended");
  }

  @Test
  void afterDowntimeMisfireSkipFiresOnlyFutureDueTimesRunOnceMakesOneJob() throws Exception {
    Schedule skip = create("PT1S", "allow", null);
    Schedule once = create("PT1S", "allow", "run_once");
    clock.now.addAndGet(1000);
    firing.fire();
    clock.now.addAndGet(9_500); // every instance down: nothing fires
    ScheduleFiring strict = firing(0); // no grace: whatever passed was missed
    strict.fire();
    assertEquals(1, jobsOf(skip.id()).size(), "nothing for the due times that passed");
    assertEquals(9, ScheduleReads.get(db.ds, skip.id()).orElseThrow().missed());
    List<String> onceJobs = jobsOf(once.id());
    assertEquals(2, onceJobs.size(), "one for all missed due times: " + onceJobs);
    assertTrue(onceJobs.get(1).startsWith((T0 + 10_000) + "|"), "keyed by the latest missed");
    assertEquals(T0 + 11_000, ScheduleReads.get(db.ds, skip.id()).orElseThrow().nextRunAt());
    clock.now.addAndGet(500);
    strict.fire();
    assertEquals(2, jobsOf(skip.id()).size(), "and on from there");
  }

  @Test
  void aPausedScheduleFiresNothingATriggerMakesItsJobNowAndIsRecordedWithItsActor()
      throws Exception {
    Schedule s = create("PT1S", "allow", null);
    try (var c = db.ds.getConnection()) {
      c.createStatement()
          .executeUpdate("UPDATE job_schedule SET paused = TRUE WHERE id = '" + s.id() + "'");
    }
    clock.now.addAndGet(5000);
    firing.fire();
    assertEquals(List.of(), jobsOf(s.id()), "paused: no job");
    Job now = firings.trigger(s.id(), "dave", clock.millis(), ScheduleFiring.jobs(t -> 1));
    assertEquals(List.of("null|PENDING|schedule:" + s.id()), jobsOf(s.id()));
    Schedule after = ScheduleReads.get(db.ds, s.id()).orElseThrow();
    assertEquals(now.getId(), after.lastJobId());
    assertEquals(clock.millis(), after.lastRunAt());
    assertEquals(s.nextRunAt(), after.nextRunAt(), "its next due time stays");
    assertEquals(0, after.fired(), "a trigger is no due time");
    List<String> events =
        ScheduleReads.events(db.ds, s.id()).stream()
            .map(e -> e.action() + ":" + e.actor() + ":" + e.message())
            .toList();
    assertEquals(List.of("create:alice:null", "trigger:dave:job " + now.getId()), events);
    assertThrows(
        ScheduleNotFoundException.class,
        () -> firings.trigger("nosuch", "x", clock.millis(), ScheduleFiring.jobs(t -> 1)));
    assertEquals("1", db.one("SELECT COUNT(*) FROM job WHERE schedule_id IS NOT NULL"));
  }

  @Test
  void aFinishedScheduledJobLeavesTheCountsRight() throws Exception {
    Schedule s = create("PT1S", "allow", null);
    clock.now.addAndGet(3000);
    firing.fire();
    assertEquals(3, jobsOf(s.id()).size(), "three due times, within the grace");
    String id =
        db.one("SELECT id FROM job WHERE schedule_id = ? AND due_at = ?", s.id(), T0 + 1000);
    jobs.change(id, Cause.CANCEL, "alice", "cancel requested", t -> 1);
    Map<String, String>[] counts = db.counts();
    assertEquals(counts[0], counts[1]);
  }
}
