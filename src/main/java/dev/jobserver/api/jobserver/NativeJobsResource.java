package dev.jobserver.api.jobserver;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.api.common.ApiException;
import dev.jobserver.api.common.Bodies;
import dev.jobserver.api.mattermost.Downloads;
import dev.jobserver.engine.JobTypeRegistry;
import dev.jobserver.job.IdForm;
import dev.jobserver.job.IllegalTransitionException;
import dev.jobserver.job.InvalidJobDataException;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobEvent;
import dev.jobserver.job.JobFields;
import dev.jobserver.job.JobIds;
import dev.jobserver.job.JobNotFoundException;
import dev.jobserver.job.JobPages;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.JobResultInfo;
import dev.jobserver.job.JobService;
import dev.jobserver.job.JobStatus;
import dev.jobserver.job.UnknownDependencyException;
import dev.jobserver.security.Caller;
import dev.jobserver.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.stream.JsonGenerator;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.core.UriInfo;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The native API's jobs, /api/jobserver/v1/jobs (what the console uses): the full job view, search
 * with a keyset cursor, events, create, cancel, retry, delete. Translates HTTP to {@link
 * JobService} and back. Role R reads, role W changes (API.md).
 */
@Path("jobserver/v1/jobs")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "jobs")
public class NativeJobsResource {

  // the schemas of META-INF/openapi.yaml
  static final String JSON_TYPE = MediaType.APPLICATION_JSON;
  static final String ID = "Job id";
  static final String TIME_INPUT =
      "ISO-8601 (e.g. 2026-11-28T08:00:00.000Z, or a date alone: its midnight UTC) or epoch"
          + " milliseconds";

  /** The characters of every job id (both forms), and so of any prefix that can match one. */
  private static final Pattern ID_CHARS = Pattern.compile("[A-Za-z0-9_-]+");

  @Inject private JobService jobs;
  @Inject private JobTypeRegistry types;
  @Context private SecurityContext security;
  @Context private UriInfo uri;

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
      operationId = "searchJobs",
      summary = "Search jobs",
      description =
          "Newest first (create_at, then id, descending), one page at a time: pass next_cursor as"
              + " cursor for the next page; every page costs the same at any depth. Filters"
              + " combine (AND); type and status may repeat or list values separated by commas"
              + " (any of).")
  @APIResponse(
      responseCode = "200",
      description = "A page of jobs",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "JobPage")))
  @APIResponse(
      responseCode = "400",
      description = "A bad parameter; the message names it",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response search(
      @Parameter(
              description = "Only jobs of these types (repeatable, or separated by commas)",
              schema = @Schema(ref = "JobTypeNameList"))
          @QueryParam("type")
          List<String> typeValues,
      @Parameter(
              description = "Only jobs in these statuses (repeatable, or separated by commas)",
              schema = @Schema(ref = "JobStatusList"))
          @QueryParam("status")
          List<String> statusValues,
      @Parameter(description = "Created at or after: " + TIME_INPUT) @QueryParam("created_after")
          String createdAfter,
      @Parameter(description = "Created before: " + TIME_INPUT) @QueryParam("created_before")
          String createdBefore,
      @Parameter(description = "Only the jobs this schedule created") @QueryParam("schedule_id")
          String scheduleId,
      @Parameter(description = "Jobs whose id starts with this") @QueryParam("q") String q,
      @Parameter(
              description = "Jobs per page, 1-500, default 50",
              schema = @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "500"))
          @QueryParam("limit")
          String limitValue,
      @Parameter(description = "next_cursor of the previous page") @QueryParam("cursor")
          String cursor) {
    Set<String> typeFilter = NativeParams.types(typeValues);
    Set<JobStatus> statusFilter = NativeParams.statuses(statusValues);
    Long after = NativeParams.time("created_after", createdAfter);
    Long before = NativeParams.time("created_before", createdBefore);
    String prefix = NativeParams.idPrefix(q);
    if (prefix != null && !ID_CHARS.matcher(prefix).matches()) {
      throw NativeParams.bad("q: an id prefix has only letters, digits, '_' and '-'");
    }
    int limit = NativeParams.limit(limitValue);
    JobQuery.Position position = null;
    if (cursor != null && !cursor.isEmpty()) {
      position = Cursor.decode(cursor);
    }
    String schedule = scheduleId == null || scheduleId.isBlank() ? null : scheduleId.trim();
    // one more than the page: whether another page follows is known without an empty last page
    JobQuery query =
        new JobQuery(typeFilter, statusFilter, after, before, prefix, true, position, 0, limit + 1)
            .ofSchedule(schedule);
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
                    g.write(NativeJobView.of(job));
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

  @POST
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "createJob",
      summary = "Create a job",
      description =
          "Queues a job of a registered type; it runs as soon as a worker is free, or from run_at"
              + " on. Unknown fields are ignored.")
  @RequestBody(
      required = true,
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "NewJob")))
  @APIResponse(
      responseCode = "201",
      description = "The new job, pending",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "400",
      description = "Not a JSON object, or a bad field (the message names it)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  @APIResponse(
      responseCode = "413",
      description = "Body over 1 MiB",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response create(InputStream in) throws IOException {
    JsonObject body =
        Bodies.jsonObject(Bodies.read(in))
            .orElseThrow(() -> NativeParams.bad("body: must be a JSON object"));
    CreateRequest request = CreateRequest.of(body);
    if (!types.contains(request.type())) {
      throw NativeParams.bad(
          "type: unknown job type " + NativeParams.quote(request.type()) + " (see GET types)");
    }
    Job job;
    try {
      job =
          jobs.create(
              request.type(),
              request.data(),
              request.priority(),
              request.runAt() == null ? 0 : request.runAt(),
              request.maxAttempts(),
              request.dependsOn(),
              IdForm.MATTERMOST,
              false,
              Caller.actor(security));
    } catch (UnknownDependencyException | InvalidJobDataException e) {
      throw NativeParams.bad(e.getMessage());
    }
    return Response.created(uri.getAbsolutePathBuilder().path(job.getId()).build())
        .type(MediaType.APPLICATION_JSON)
        .entity(NativeJobView.of(JobRecord.of(job, null)).toString())
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
  @Operation(
      operationId = "getJob",
      summary = "Get a job",
      description = "The job with the stack trace of each failed attempt (stacktrace).")
  @APIResponse(
      responseCode = "200",
      description = "The job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "404",
      description = "No such job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response get(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    return json(NativeJobView.full(record(id)).toString());
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
      operationId = "getJobEvents",
      summary = "A job's events",
      description =
          "Every status change of the job, oldest first, with who made it: a token subject,"
              + " engine:<instance>, schedule:<id> or dependency:<id>.")
  @APIResponse(
      responseCode = "200",
      description = "The events",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "JobEventList")))
  @APIResponse(
      responseCode = "404",
      description = "No such job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response events(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    checkId(id);
    List<JobEvent> events = jobs.events(id);
    if (events.isEmpty() && jobs.find(id).isEmpty()) {
      throw notFound(id);
    }
    return json(NativeJobView.events(events));
  }

  @GET
  @Path("{id}/result")
  @Produces(MediaType.WILDCARD)
  @RolesAllowed({
    Roles.READ_JOBS,
    Roles.MANAGE_JOBS,
    Roles.TAIPY_READER,
    Roles.TAIPY_EDITOR,
    Roles.TAIPY_EXECUTOR,
    Roles.TAIPY_ADMIN
  })
  @Operation(
      operationId = "getJobResult",
      summary = "Download a job's result file",
      description =
          "As the v4 download: the result of a finished job, streamed, with Content-Disposition;"
              + " a single Range (bytes=a-b, a-, -n) is honoured with 206, an unsatisfiable one is"
              + " 416.")
  @APIResponse(
      responseCode = "200",
      description = "The whole file, with its Content-Type and Content-Disposition")
  @APIResponse(responseCode = "206", description = "The requested range")
  @APIResponse(
      responseCode = "404",
      description = "No such job, or it has no result file (yet)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  @APIResponse(responseCode = "416", description = "The range is outside the file")
  public Response result(
      @Parameter(description = ID, required = true) @PathParam("id") String id,
      @Parameter(description = "bytes=a-b, bytes=a- or bytes=-n") @HeaderParam("Range")
          String range) {
    checkId(id);
    Job job = jobs.find(id).orElseThrow(() -> notFound(id));
    JobResultInfo result =
        jobs.result(job)
            .orElseThrow(
                () ->
                    ApiException.nativeError(
                        404,
                        job.getStatus().isFinished()
                            ? "Job " + id + " has no result file."
                            : "Job " + id + " has not finished; its result is not ready."));
    return Downloads.response(result, range, jobs);
  }

  @POST
  @Path("{id}/cancel")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "cancelJob",
      summary = "Cancel a job",
      description =
          "A pending or blocked job is canceled at once; a running one becomes cancel_requested"
              + " and is stopped by the instance running it, then canceled.")
  @APIResponse(
      responseCode = "200",
      description = "The job after the change",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "404",
      description = "No such job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  @APIResponse(
      responseCode = "409",
      description = "It has finished",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response cancel(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    checkId(id);
    try {
      jobs.cancel(id, Caller.actor(security));
    } catch (JobNotFoundException e) {
      throw notFound(id);
    } catch (IllegalTransitionException e) {
      throw ApiException.nativeError(
          409,
          "Job "
              + id
              + " has finished ("
              + NativeParams.name(e.from())
              + "); only an unfinished job can be canceled.");
    }
    return json(NativeJobView.of(record(id)).toString());
  }

  @POST
  @Path("{id}/retry")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "retryJob",
      summary = "Retry a job",
      description =
          "A failed, canceled or abandoned job goes back to pending with a fresh attempt budget"
              + " (its type's attempts from now on); its events keep the history.")
  @APIResponse(
      responseCode = "200",
      description = "The job, pending",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "404",
      description = "No such job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  @APIResponse(
      responseCode = "409",
      description = "It is not failed, canceled or abandoned",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response retry(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    checkId(id);
    try {
      jobs.retry(id, Caller.actor(security));
    } catch (JobNotFoundException e) {
      throw notFound(id);
    } catch (IllegalTransitionException e) {
      throw ApiException.nativeError(409, e.getMessage());
    }
    return json(NativeJobView.of(record(id)).toString());
  }

  @DELETE
  @Path("{id}")
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "deleteJob",
      summary = "Delete a job",
      description = "Deletes a finished job with its result and events.")
  @APIResponse(responseCode = "204", description = "Deleted")
  @APIResponse(
      responseCode = "404",
      description = "No such job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  @APIResponse(
      responseCode = "409",
      description = "It has not finished",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response delete(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    checkId(id);
    try {
      jobs.delete(id, Caller.actor(security));
    } catch (JobNotFoundException e) {
      throw notFound(id);
    } catch (IllegalTransitionException e) {
      throw ApiException.nativeError(
          409,
          "Job "
              + id
              + " has not finished ("
              + NativeParams.name(e.from())
              + "); cancel it first.");
    }
    return Response.noContent().build();
  }

  private JobRecord record(String id) {
    checkId(id);
    return jobs.record(id).orElseThrow(() -> notFound(id));
  }

  /** An id in neither form names no job (and never reaches the database). */
  private static void checkId(String id) {
    if (!JobIds.isValid(id)) {
      throw notFound(id);
    }
  }

  private static ApiException notFound(String id) {
    return ApiException.nativeError(404, "Job " + NativeParams.quote(id) + " does not exist.");
  }

  private static Response json(String body) {
    return Response.ok(body, MediaType.APPLICATION_JSON).build();
  }
}
