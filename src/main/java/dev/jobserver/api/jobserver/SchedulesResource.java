package dev.jobserver.api.jobserver;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.api.common.ApiException;
import dev.jobserver.api.common.Bodies;
import dev.jobserver.common.WholeNumbers;
import dev.jobserver.job.Job;
import dev.jobserver.schedule.InvalidScheduleException;
import dev.jobserver.schedule.Schedule;
import dev.jobserver.schedule.ScheduleNotFoundException;
import dev.jobserver.schedule.ScheduleService;
import dev.jobserver.security.Caller;
import dev.jobserver.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Recurring schedules on the native API: create, read, replace, delete, pause, resume, trigger, and
 * each schedule's run history and recorded changes. Translates HTTP to {@link ScheduleService}.
 */
@Path("jobserver/v1/schedules")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "schedules", description = "Recurring schedules (native API)")
public class SchedulesResource {

  @Inject private ScheduleService schedules;
  @Context private SecurityContext security;

  @GET
  @RolesAllowed({
    Roles.READ_JOBS,
    Roles.MANAGE_JOBS,
    Roles.TAIPY_READER,
    Roles.TAIPY_EDITOR,
    Roles.TAIPY_EXECUTOR,
    Roles.TAIPY_ADMIN
  })
  @Operation(summary = "List the schedules", description = "{\"schedules\": [...]}, oldest first.")
  public Response list() {
    return json(200, ScheduleView.list(schedules.list()).toString());
  }

  @POST
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      summary = "Create a schedule",
      description =
          "Body {name?, type, data?, cron | every, time_zone?, overlap?, misfire?, paused?}: exactly"
              + " one of cron (5 fields, or 6 with seconds first) and every (ISO-8601 duration of at"
              + " least PT1S); time_zone an IANA zone (default UTC); overlap skip (default) or"
              + " allow; misfire skip (default) or run_once. 400 names the field that is wrong.")
  @APIResponse(responseCode = "201", description = "The schedule")
  @APIResponse(responseCode = "400", description = "A bad field, named in the message")
  public Response create(InputStream in) throws IOException {
    Schedule s = definitionCall(() -> schedules.create(definition(in), actor()));
    return Response.status(201)
        .type(MediaType.APPLICATION_JSON)
        .header("Location", "/api/jobserver/v1/schedules/" + s.id())
        .entity(ScheduleView.of(s).toString())
        .build();
  }

  @GET
  @Path("{id}")
  @RolesAllowed({
    Roles.READ_JOBS,
    Roles.MANAGE_JOBS,
    Roles.TAIPY_READER,
    Roles.TAIPY_EDITOR,
    Roles.TAIPY_EXECUTOR,
    Roles.TAIPY_ADMIN
  })
  @Operation(summary = "A schedule")
  @APIResponse(responseCode = "404", description = "No such schedule")
  public Response get(@PathParam("id") String id) {
    return ok(found(id, () -> schedules.get(id)));
  }

  @PUT
  @Path("{id}")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      summary = "Replace a schedule's definition",
      description =
          "As create; its id, creation, counts and run history stay. The next run is computed"
              + " anew from now.")
  public Response replace(@PathParam("id") String id, InputStream in) throws IOException {
    return ok(
        found(id, () -> definitionCall(() -> schedules.replace(id, definition(in), actor()))));
  }

  @DELETE
  @Path("{id}")
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(summary = "Delete a schedule", description = "204; the jobs it created stay.")
  public Response delete(@PathParam("id") String id) {
    found(
        id,
        () -> {
          schedules.delete(id, actor());
          return null;
        });
    return Response.noContent().build();
  }

  @POST
  @Path("{id}/pause")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(summary = "Pause a schedule", description = "It creates no job until resumed.")
  public Response pause(@PathParam("id") String id) {
    return ok(found(id, () -> schedules.pause(id, actor())));
  }

  @POST
  @Path("{id}/resume")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      summary = "Resume a schedule",
      description = "From now on; the due times that passed while it was paused make no job.")
  public Response resume(@PathParam("id") String id) {
    return ok(found(id, () -> schedules.resume(id, actor())));
  }

  @POST
  @Path("{id}/trigger")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      summary = "Run a schedule now",
      description = "201 with the job it created; its next run stays as it was.")
  public Response trigger(@PathParam("id") String id) {
    Job job = found(id, () -> schedules.trigger(id, actor()));
    return json(201, ScheduleJobs.of(job).toString());
  }

  @GET
  @Path("{id}/jobs")
  @RolesAllowed({
    Roles.READ_JOBS,
    Roles.MANAGE_JOBS,
    Roles.TAIPY_READER,
    Roles.TAIPY_EDITOR,
    Roles.TAIPY_EXECUTOR,
    Roles.TAIPY_ADMIN
  })
  @Operation(
      summary = "A schedule's run history",
      description =
          "{\"jobs\": [...], \"next_cursor\"}: the jobs it created, newest first; also after it"
              + " was deleted.")
  public Response jobs(
      @PathParam("id") String id,
      @Parameter(description = "1-500, default 50") @QueryParam("limit") String limit,
      @Parameter(description = "next_cursor of the previous page") @QueryParam("cursor")
          String cursor) {
    int n;
    try {
      n = (int) WholeNumbers.parse(limit, 50, 1, 500, "limit");
    } catch (IllegalArgumentException e) {
      throw bad(e.getMessage());
    }
    Long at = null;
    String before = null;
    if (cursor != null && !cursor.isEmpty()) {
      String[] parts = decode(cursor);
      at = Long.parseLong(parts[0]);
      before = parts[1];
    }
    List<Job> page = schedules.jobs(id, n + 1, at, before);
    JsonArrayBuilder a = JSON.createArrayBuilder();
    for (int i = 0; i < Math.min(n, page.size()); i++) {
      a.add(ScheduleJobs.of(page.get(i)));
    }
    JsonObjectBuilder b = JSON.createObjectBuilder().add("jobs", a);
    if (page.size() > n) {
      Job last = page.get(n - 1);
      b.add("next_cursor", encode(last.getCreateAt() + ":" + last.getId()));
    } else {
      b.addNull("next_cursor");
    }
    return json(200, b.build().toString());
  }

  @GET
  @Path("{id}/events")
  @RolesAllowed({
    Roles.READ_JOBS,
    Roles.MANAGE_JOBS,
    Roles.TAIPY_READER,
    Roles.TAIPY_EDITOR,
    Roles.TAIPY_EXECUTOR,
    Roles.TAIPY_ADMIN
  })
  @Operation(
      summary = "Who changed a schedule",
      description =
          "[{at, actor, action, message}], oldest first: create, replace, pause, resume, trigger,"
              + " delete; also after it was deleted.")
  public Response events(@PathParam("id") String id) {
    return json(200, ScheduleView.events(schedules.events(id)));
  }

  // ---- helpers --------------------------------------------------------------------------------

  private interface Call<T> {
    T run();
  }

  private static <T> T found(String id, Call<T> call) {
    try {
      return call.run();
    } catch (ScheduleNotFoundException e) {
      throw ApiException.taipy(404, "Schedule " + id + " does not exist.");
    }
  }

  private static <T> T definitionCall(Call<T> call) {
    try {
      return call.run();
    } catch (InvalidScheduleException e) {
      throw bad(e.getMessage());
    }
  }

  private static dev.jobserver.schedule.ScheduleDefinition definition(InputStream in) {
    JsonObject body;
    try {
      body = Bodies.object(Bodies.read(in));
    } catch (Bodies.BadBodyException | IOException e) {
      throw bad("body: " + e.getMessage());
    }
    return ScheduleRequest.read(body);
  }

  private static ApiException bad(String message) {
    return ApiException.taipy(400, message);
  }

  private String actor() {
    return Caller.actor(security);
  }

  private static String encode(String s) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String[] decode(String cursor) {
    try {
      String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      String[] parts = s.split(":", 2);
      Long.parseLong(parts[0]);
      if (parts.length != 2 || parts[1].isEmpty()) {
        throw new IllegalArgumentException();
      }
      return parts;
    } catch (IllegalArgumentException e) {
      throw bad("cursor: not a cursor from this list: " + cursor);
    }
  }

  private static Response ok(Schedule s) {
    return json(200, ScheduleView.of(s).toString());
  }

  private static Response json(int status, String body) {
    return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
  }
}
