package dev.jobserver.engine;

import static dev.jobserver.engine.EngineFixture.OWNER;
import static dev.jobserver.engine.EngineFixture.handler;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jobserver.store.RemoteTypeStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DispatcherTest {

  private final EngineFixture f = new EngineFixture();
  private final EngineFixture.Parked executor = new EngineFixture.Parked();
  private final JobTypeRegistry types =
      JobTypeRegistry.of(
          handler("quick", 0, Duration.ofMinutes(1)), handler("single", 1, Duration.ofMinutes(1)));
  private final Runner runner = f.runner(types);
  private final WorkerPool pool = new WorkerPool(2, executor, runner::execute, f.clock);
  private final Dispatcher dispatcher =
      new Dispatcher(
          f.settings, f.clock, () -> f.store, null, types, f.runs, pool, runner, OWNER, r -> {});

  @Test
  void aClaimReservesUpToTheRoomForTheWorkersAndLeavesTheJobsPending() throws Exception {
    for (int i = 0; i < 5; i++) {
      f.insert("j" + i, "quick", 1000 + i);
    }
    assertEquals(2, dispatcher.capacity(), "no run time known yet: no claim ahead");
    assertEquals(2, dispatcher.claim(dispatcher.capacity()));
    assertEquals(2, f.runs.inHand());
    assertEquals(2, pool.waiting());
    for (String id : List.of("j0", "j1")) {
      assertEquals("PENDING", f.row(id).get("status"), "a reservation is no start");
      assertEquals(OWNER, f.row(id).get("owner"));
      assertEquals(f.clock.millis() + 3000, f.row(id).get("lease"), "the lease is on the clock");
      assertEquals(List.of(), f.events(id));
    }
    assertEquals(null, f.row("j2").get("owner"));
  }

  @Test
  void theClaimItselfKeepsATypesConcurrencyLimit() throws Exception {
    for (int i = 0; i < 3; i++) {
      f.insert("s" + i, "single", 1000 + i);
    }
    assertEquals(1, dispatcher.claim(10));
    assertEquals(0, dispatcher.claim(10), "one is held: no other is claimed");
    assertEquals(null, f.row("s1").get("owner"), "nothing claimed to be handed back");
    assertEquals(List.of(), f.events("s1"));
    assertEquals(1, f.runs.ofType("single"));
  }

  @Test
  void aLimitedTypeIsNotPostponedBehindABacklogOfOtherTypes() throws Exception {
    for (int i = 0; i < 10; i++) {
      f.insert("q" + i, "quick", 1000 + i);
    }
    f.insert("s", "single", 2000);
    f.update("UPDATE job SET priority = 1000 WHERE id = 's'");
    assertEquals(2, dispatcher.claim(2));
    assertEquals(OWNER, f.row("s").get("owner"), "the highest priority is claimed first");
    assertEquals(OWNER, f.row("q0").get("owner"));
    assertEquals(null, f.row("q1").get("owner"));
  }

  @Test
  void jobsOfARemoteTypeAreLeftForTheWorkersEvenWhenDeclaredAfterTheLastRead() throws Exception {
    RemoteTypeStore remote = RemoteTypeStore.over(f.ds);
    JobTypeRegistry withRemote =
        JobTypeRegistry.of(remote, handler("quick", 0, Duration.ofMinutes(1)));
    Dispatcher d =
        new Dispatcher(
            f.settings,
            f.clock,
            () -> f.store,
            null,
            withRemote,
            f.runs,
            pool,
            runner,
            OWNER,
            r -> {});
    assertEquals(Map.of(), withRemote.remoteTypes(), "read now: none yet");
    remote.put(new RemoteTypeStore.Row("clean_data", 60_000, 3, 1000, 0), "alice");
    f.insert("r1", "clean_data", 1000);
    f.insert("q1", "quick", 2000);
    // the cache is fresh but does not know the type: the claim may take the job, and gives it up
    assertEquals(2, d.claim(10));
    assertEquals(1, f.runs.inHand(), "only the built-in type's job is run here");
    assertEquals(null, f.row("r1").get("owner"), "given back at once");
    assertEquals("PENDING", f.row("r1").get("status"));
    assertEquals(List.of(), f.events("r1"));
    assertTrue(withRemote.remoteTypes().containsKey("clean_data"), "known from then on");
    assertEquals(0, d.claim(10), "and never claimed again");
    assertEquals(3, withRemote.settings("clean_data").maxAttempts());
    assertTrue(withRemote.contains("clean_data"));
    assertEquals(null, withRemote.handler("clean_data"));
  }

  @Test
  void aJobWhoseOldRunIsStillAliveHereIsNotClaimedAgain() throws Exception {
    f.insert("x", "quick", 1000);
    Run old = f.startedRun("x", types.handler("quick"));
    old.stopReason = Run.StopReason.SUPERSEDED; // requeued; its handler has not returned yet
    f.update("UPDATE job SET status = 'PENDING', lease_owner = NULL, lease_expires_at = 0");
    assertEquals(0, dispatcher.claim(10));
    f.runs.remove(old);
    assertEquals(1, dispatcher.claim(10), "once the old run is gone it is taken");
  }

  @Test
  void shortRunsAreClaimedAheadOfTheWorkers() {
    JobHandler noop =
        new JobHandler() {
          @Override
          public String type() {
            return "quick";
          }

          @Override
          public void run(JobContext context) {
            f.clock.advanceNanos(1000); // a run of 1 microsecond
          }
        };
    Run run =
        new Run(
            new dev.jobserver.store.ClaimedJob("q", "quick", java.util.Map.of(), 1),
            noop,
            null,
            f.clock,
            OWNER,
            r -> {});
    f.runs.add(run);
    runner.execute(run);
    // 2 workers start a 1 us job 5,000 times within 5 ms: the claim ahead is capped
    assertEquals(2 + 2 * Dispatcher.MAX_PREFETCH_FACTOR, dispatcher.capacity());
  }
}
