package dev.jobserver.it;

import dev.jobserver.schedule.ScheduleSignal;
import dev.jobserver.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;

/**
 * Test-only routes, in the test WAR only: hold this instance's schedule firing ({@link
 * HeldScheduleFirings}), which to the schedules is what every instance being down looks like (the
 * rest of the engine keeps running).
 */
@Path("test/hooks")
@ApplicationScoped
public class TestHooks {

  @Inject private HeldScheduleFirings schedules;
  @Inject private Event<ScheduleSignal> signals;

  @POST
  @Path("schedules/hold")
  @RolesAllowed(Roles.MANAGE_JOBS)
  public Response hold(@QueryParam("on") boolean on) {
    schedules.hold(on);
    signals.fire(new ScheduleSignal(null)); // the firing loop looks again at once
    return Response.noContent().build();
  }
}
