package dev.jobserver.it;

import dev.jobserver.store.ScheduleFirings;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import jakarta.interceptor.Interceptor;
import java.sql.SQLException;
import java.util.List;
import java.util.OptionalLong;

/**
 * The test WAR's schedule firing store: while held ({@link TestHooks}) this instance finds nothing
 * due, so it fires nothing, which to the schedules is what every instance being down looks like;
 * the rest of the engine keeps running. Not in the production WAR.
 */
@Alternative
@Priority(Interceptor.Priority.APPLICATION)
@ApplicationScoped
public class HeldScheduleFirings extends ScheduleFirings {

  private volatile boolean held;

  void hold(boolean on) {
    held = on;
  }

  @Override
  public List<Fired> fire(
      long now, long graceMillis, int limit, ScheduleFirings.JobMaker maker, String firedBy)
      throws SQLException {
    return held ? List.of() : super.fire(now, graceMillis, limit, maker, firedBy);
  }

  @Override
  public OptionalLong nextDue() throws SQLException {
    return held ? OptionalLong.empty() : super.nextDue();
  }
}
