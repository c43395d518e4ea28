package dev.jobserver.api.jobserver;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.api.common.ApiException;
import dev.jobserver.api.common.Bodies;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobFields;
import dev.jobserver.job.JobPages;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobRecord;
import dev.jobserver.schedule.InvalidScheduleException;
import dev.jobserver.schedule.Schedule;
import dev.jobserver.schedule.ScheduleNotFoundException;
import dev.jobserver.security.Caller;
import dev.jobserver.security.Roles;
import dev.jobserver.service.JobService;
import dev.jobserver.service.ScheduleService;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.stream.JsonGenerator;
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
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Recurring schedules on the native API: create, read, replace, delete, pause, resume, trigger, and
 * each schedule's run history and recorded changes. Translates HTTP to {@link ScheduleService}.
 */
@Path("jobserver/v1/schedules")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "schedules")
public class SchedulesResource {

  private static final String JSON_TYPE = MediaType.APPLICATION_JSON;
  private static final String ID = "Schedule id";

  @Inject private ScheduleService schedules;
  @Inject private JobService jobs;
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
  @Operation(
      operationId = "listSchedules",
      summary = "List the schedules",
      description = "Every schedule, oldest first.")
  @APIResponse(
      responseCode = "200",
      description = "The schedules",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ScheduleList")))
  public Response list() {
    return json(200, ScheduleView.list(schedules.list()).toString());
  }

  @POST
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "createSchedule",
      summary = "Create a schedule",
      description =
          "Body {name?, type, data?, cron | every, time_zone?, overlap?, misfire?, paused?}: exactly"
              + " one of cron (5 fields, or 6 with seconds first) and every (ISO-8601 duration of at"
              + " least PT1S); time_zone an IANA zone (default UTC); overlap skip (default) or"
              + " allow; misfire skip (default) or run_once. 400 names the field that is wrong.")
  @RequestBody(
      required = true,
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ScheduleDefinition")))
  @APIResponse(
      responseCode = "201",
      description = "The schedule",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Schedule")))
  @APIResponse(
      responseCode = "400",
      description = "A bad field, named in the message",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  @APIResponse(
      responseCode = "413",
      description = "Body over 1 MiB",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
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
  @Operation(operationId = "getSchedule", summary = "A schedule")
  @APIResponse(
      responseCode = "200",
      description = "The schedule",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Schedule")))
  @APIResponse(
      responseCode = "404",
      description = "No such schedule",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response get(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    return ok(found(id, () -> schedules.get(id)));
  }

  @PUT
  @Path("{id}")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "replaceSchedule",
      summary = "Replace a schedule's definition",
      description =
          "As create; its id, creation, counts and run history stay. The next run is computed"
              + " anew from now.")
  @RequestBody(
      required = true,
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ScheduleDefinition")))
  @APIResponse(
      responseCode = "200",
      description = "The schedule",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Schedule")))
  @APIResponse(
      responseCode = "400",
      description = "A bad field, named in the message",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  @APIResponse(
      responseCode = "404",
      description = "No such schedule",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response replace(
      @Parameter(description = ID, required = true) @PathParam("id") String id, InputStream in)
      throws IOException {
    return ok(
        found(id, () -> definitionCall(() -> schedules.replace(id, definition(in), actor()))));
  }

  @DELETE
  @Path("{id}")
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "deleteSchedule",
      summary = "Delete a schedule",
      description = "The jobs it created stay.")
  @APIResponse(responseCode = "204", description = "Deleted")
  @APIResponse(
      responseCode = "404",
      description = "No such schedule",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response delete(@Parameter(description = ID, required = true) @PathParam("id") String id) {
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
  @Operation(
      operationId = "pauseSchedule",
      summary = "Pause a schedule",
      description = "It creates no job until resumed.")
  @APIResponse(
      responseCode = "200",
      description = "The schedule, paused",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Schedule")))
  @APIResponse(
      responseCode = "404",
      description = "No such schedule",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response pause(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    return ok(found(id, () -> schedules.pause(id, actor())));
  }

  @POST
  @Path("{id}/resume")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "resumeSchedule",
      summary = "Resume a schedule",
      description = "From now on; the due times that passed while it was paused make no job.")
  @APIResponse(
      responseCode = "200",
      description = "The schedule",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Schedule")))
  @APIResponse(
      responseCode = "404",
      description = "No such schedule",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response resume(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    return ok(found(id, () -> schedules.resume(id, actor())));
  }

  @POST
  @Path("{id}/trigger")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "triggerSchedule",
      summary = "Run a schedule now",
      description = "Creates a job now; its next run stays as it was.")
  @APIResponse(
      responseCode = "201",
      description = "The job it created",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "404",
      description = "No such schedule",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response trigger(
      @Parameter(description = ID, required = true) @PathParam("id") String id) {
    Job job = found(id, () -> schedules.trigger(id, actor()));
    return json(201, NativeJobView.of(JobRecord.of(job, null)).toString());
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
      operationId = "getScheduleJobs",
      summary = "A schedule's run history",
      description =
          "The jobs it created, newest first, each with the due time it was created for"
              + " (due_at; null for a trigger); also after it was deleted.")
  @APIResponse(
      responseCode = "200",
      description = "A page of its jobs",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ScheduleRunPage")))
  @APIResponse(
      responseCode = "400",
      description = "A bad limit or cursor",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response jobs(
      @Parameter(description = ID, required = true) @PathParam("id") String id,
      @Parameter(
              description = "Jobs per page, 1-500, default 50",
              schema = @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "500"))
          @QueryParam("limit")
          String limitValue,
      @Parameter(description = "next_cursor of the previous page") @QueryParam("cursor")
          String cursor) {
    int limit = NativeParams.limit(limitValue);
    JobQuery.Position position = null;
    if (cursor != null && !cursor.isEmpty()) {
      position = Cursor.decode(cursor);
    }
    // one more than the page: whether another page follows is known without an empty last page
    JobQuery query =
        new JobQuery(List.of(), List.of(), null, null, null, true, position, 0, limit + 1)
            .ofSchedule(id);
    JobPages pages = jobs.list(query, JobFields.WITH_RESULTS);
    List<JobRecord> first = pages.next(); // a failure to read answers before the body begins
    StreamingOutput body =
        out -> {
          try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject().writeStartArray("jobs");
            JobRecord[] last = new JobRecord[1];
            int[] count = new int[1];
            pages.forEach(
                first,
                job -> {
                  if (++count[0] <= limit) {
                    // a run of the schedule: the job, and the due time it was created for (null:
                    // triggered by hand)
                    JsonObjectBuilder run = JSON.createObjectBuilder(NativeJobView.of(job));
                    if (job.dueAt() == null) {
                      run.addNull("due_at");
                    } else {
                      run.add("due_at", NativeTimes.iso(job.dueAt()));
                    }
                    g.write(run.build());
                    last[0] = job;
                  }
                });
            g.writeEnd();
            if (count[0] > limit) {
              g.write(
                  "next_cursor",
                  Cursor.encode(new JobQuery.Position(last[0].createAt(), last[0].id())));
            } else {
              g.writeNull("next_cursor");
            }
            g.writeEnd();
          }
        };
    return Response.ok(body, MediaType.APPLICATION_JSON).build();
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
      operationId = "getScheduleEvents",
      summary = "Who changed a schedule",
      description =
          "Its recorded changes, oldest first: create, replace, pause, resume, trigger,"
              + " delete; also after it was deleted (an unknown id has none).")
  @APIResponse(
      responseCode = "200",
      description = "The changes",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ScheduleEventList")))
  public Response events(@Parameter(description = ID, required = true) @PathParam("id") String id) {
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
      throw ApiException.nativeError(404, "Schedule " + id + " does not exist.");
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
    return NativeParams.bad(message);
  }

  private String actor() {
    return Caller.actor(security);
  }

  private static Response ok(Schedule s) {
    return json(200, ScheduleView.of(s).toString());
  }

  private static Response json(int status, String body) {
    return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
  }
}
