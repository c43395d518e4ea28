package dev.jobserver.api.mattermost;

import static dev.jobserver.api.mattermost.MattermostErrors.invalidBodyParam;
import static dev.jobserver.api.mattermost.MattermostErrors.invalidStatus;
import static dev.jobserver.api.mattermost.MattermostErrors.invalidUrlParam;
import static dev.jobserver.api.mattermost.MattermostErrors.notFound;

import dev.jobserver.api.common.ApiException;
import dev.jobserver.api.common.Bodies;
import dev.jobserver.engine.JobTypeRegistry;
import dev.jobserver.job.IdForm;
import dev.jobserver.job.IllegalTransitionException;
import dev.jobserver.job.InvalidJobDataException;
import dev.jobserver.job.Job;
import dev.jobserver.job.JobFields;
import dev.jobserver.job.JobIds;
import dev.jobserver.job.JobNotFoundException;
import dev.jobserver.job.JobPages;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.JobResultInfo;
import dev.jobserver.job.JobService;
import dev.jobserver.job.JobStatus;
import dev.jobserver.job.JobTypes;
import dev.jobserver.job.UnknownDependencyException;
import dev.jobserver.security.Caller;
import dev.jobserver.security.Roles;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.PATCH;
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
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The Mattermost REST v4 jobs API. Translates HTTP to {@link JobService} and back. */
@Path("v4/jobs")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.MANAGE_JOBS)
@Tag(name = "mattermost")
public class MattermostJobsResource {

  private static final String OK = "{\"status\":\"OK\"}";

  // the schemas of META-INF/openapi.yaml
  private static final String JSON_TYPE = MediaType.APPLICATION_JSON;
  private static final String JOB = "MattermostJob";
  private static final String APP_ERROR = "AppError";
  private static final String OK_SCHEMA = "MattermostStatusOk";
  private static final String ID = "Job id (Mattermost or Taipy form)";
  private static final String PAGE = "Page number, from 0; a bad value means 0";
  private static final String PER_PAGE =
      "Jobs per page, default 60, at most 200; a bad value means 60";

  @Inject private JobService jobs;
  @Inject private JobTypeRegistry types;
  @Context private SecurityContext security;

  @GET
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.READ_JOBS})
  @Operation(
      operationId = "v4GetJobs",
      summary = "List jobs",
      description = "One page of jobs, newest create_at first (ties: id descending).")
  @APIResponse(
      responseCode = "200",
      description = "An array of jobs (empty when none match)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "MattermostJobList")))
  @APIResponse(
      responseCode = "400",
      description =
          "Unknown job_type "
              + "(api.context.invalid_url_param.app_error) or status (api.job.status.invalid)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  public Response list(
      @Parameter(description = PAGE, schema = @Schema(type = SchemaType.INTEGER))
          @QueryParam("page")
          String page,
      @Parameter(description = PER_PAGE, schema = @Schema(type = SchemaType.INTEGER))
          @QueryParam("per_page")
          String perPage,
      @Parameter(description = "Only jobs of this type") @QueryParam("job_type") String jobType,
      @Parameter(
              description = "Only jobs in this status",
              schema =
                  @Schema(
                      type = SchemaType.STRING,
                      enumeration = {
                        "pending",
                        "in_progress",
                        "success",
                        "error",
                        "cancel_requested",
                        "canceled",
                        "warning"
                      }))
          @QueryParam("status")
          String status) {
    List<String> typeFilter = List.of();
    if (jobType != null && !jobType.isEmpty()) {
      if (!types.contains(jobType)) {
        throw invalidUrlParam("job_type", "unknown job type: " + jobType);
      }
      typeFilter = List.of(jobType);
    }
    List<JobStatus> statusFilter = List.of();
    if (status != null && !status.isEmpty()) {
      statusFilter = JobStatus.fromMattermost(status);
      if (statusFilter.isEmpty()) {
        throw invalidStatus("unknown status: " + status);
      }
    }
    return list(typeFilter, statusFilter, page, perPage);
  }

  /**
   * One page of jobs, newest first (ties: id descending), streamed: read from the database a few
   * jobs at a time and written out as they come, so that a page of 200 jobs of 1 MiB each never
   * sits in memory and a client that stops reading holds no database connection.
   */
  private Response list(
      List<String> typeFilter, List<JobStatus> statusFilter, String page, String perPage) {
    int size = MattermostParams.perPage(perPage);
    long offset = (long) MattermostParams.page(page) * size;
    JobPages pages =
        jobs.list(
            new JobQuery(typeFilter, statusFilter, null, null, null, true, null, offset, size),
            JobFields.WITHOUT_TRACES);
    List<JobRecord> first = pages.next(); // a failure to read answers before the body begins
    StreamingOutput body =
        out -> {
          Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 8192);
          w.write('[');
          boolean[] more = {false};
          pages.forEach(
              first,
              job -> {
                if (more[0]) {
                  w.write(',');
                }
                more[0] = true;
                MattermostJobView.write(w, job);
              });
          w.write(']');
          w.flush();
        };
    return Response.ok(body, MediaType.APPLICATION_JSON).build();
  }

  @POST
  @Consumes(MediaType.WILDCARD)
  @Operation(
      operationId = "v4CreateJob",
      summary = "Create a job",
      description =
          "Queues a job of a registered type; it runs as soon as a worker is free. Extensions:"
              + " an integer priority (default 0) runs it before lower ones; run_at (epoch ms)"
              + " starts it no earlier; depends_on (up to 100 existing job ids) makes it wait"
              + " (shown pending) until each has ended well, and cancels it (canceled) if one"
              + " fails or is canceled.")
  @RequestBody(
      required = true,
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "MattermostNewJob")))
  @APIResponse(
      responseCode = "201",
      description = "The new job, status pending",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = JOB)))
  @APIResponse(
      responseCode = "400",
      description =
          "Bad JSON or non-string data values "
              + "(api.context.invalid_body_param.app_error), also for a bad priority, run_at or"
              + " depends_on (an unknown id is named) and for data the type refuses (the key is"
              + " named, e.g. data.url of an http job); unknown type "
              + "(api.job.unable_to_create_job.incorrect_job_type)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  @APIResponse(
      responseCode = "413",
      description = "Body over 1 MiB",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  public Response create(InputStream in) throws IOException {
    JsonObject body = body(in, "job");
    JsonValue typeValue = body.get("type");
    if (typeValue == null || typeValue.getValueType() != JsonValue.ValueType.STRING) {
      throw incorrectType("type must be a string naming a registered job type");
    }
    String type = ((JsonString) typeValue).getString();
    Map<String, String> data = new LinkedHashMap<>();
    JsonValue dataValue = body.get("data");
    if (dataValue != null && dataValue.getValueType() != JsonValue.ValueType.NULL) {
      if (dataValue.getValueType() != JsonValue.ValueType.OBJECT) {
        throw invalidBodyParam("job", "data must be an object of string values");
      }
      data =
          Bodies.stringMap(
              dataValue.asJsonObject(),
              (field, problem) -> invalidBodyParam("job", field + " " + problem));
    }
    int priority = MattermostParams.priority(body.get("priority"));
    long runAt = CreateExtensions.runAt(body.get("run_at"));
    List<String> dependsOn = CreateExtensions.dependsOn(body.get("depends_on"));
    if (!types.contains(type)) {
      throw incorrectType("unknown job type: " + type);
    }
    Job job;
    try {
      job =
          jobs.create(
              type,
              data,
              priority,
              runAt,
              null,
              dependsOn,
              IdForm.MATTERMOST,
              false,
              Caller.actor(security));
    } catch (UnknownDependencyException e) {
      throw invalidBodyParam("depends_on", e.getMessage());
    } catch (InvalidJobDataException e) {
      throw invalidBodyParam("data." + e.key(), e.getMessage());
    }
    return Response.status(201)
        .type(MediaType.APPLICATION_JSON)
        .entity(MattermostJobView.of(job).toString())
        .build();
  }

  @GET
  @Path("types")
  @RolesAllowed({
    Roles.MANAGE_JOBS,
    Roles.READ_JOBS,
    Roles.TAIPY_READER,
    Roles.TAIPY_EDITOR,
    Roles.TAIPY_EXECUTOR,
    Roles.TAIPY_ADMIN
  })
  @Operation(
      operationId = "v4GetJobTypes",
      summary = "List job types (extension)",
      description =
          "Every registered job type with its description, settings and its Taipy task id.")
  @APIResponse(
      responseCode = "200",
      description = "An array of job types",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "JobTypeList")))
  public Response jobTypes() {
    return json(JobTypesView.list(types.all()));
  }

  @GET
  @Path("{id}")
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.READ_JOBS})
  @Operation(operationId = "v4GetJob", summary = "Get a job")
  @APIResponse(
      responseCode = "200",
      description = "The job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = JOB)))
  @APIResponse(
      responseCode = "400",
      description = "Malformed id (api.context.invalid_url_param.app_error)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  @APIResponse(
      responseCode = "404",
      description = "No such job (app.job.get.app_error)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  public Response get(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    return json(MattermostJobView.of(find(id)).toString());
  }

  @GET
  @Path("{id}/download")
  @Produces(MediaType.WILDCARD)
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.READ_JOBS})
  @Operation(
      operationId = "v4DownloadJob",
      summary = "Download a job's result file",
      description =
          "Streams the result of a "
              + "finished job (e.g. a job_export CSV). A single Range (bytes=a-b, a-, -n) is honoured "
              + "with 206; an unsatisfiable one is 416.")
  @APIResponse(
      responseCode = "200",
      description = "The whole file, with its Content-Type and Content-Disposition")
  @APIResponse(responseCode = "206", description = "The requested range")
  @APIResponse(
      responseCode = "400",
      description = "The job has no downloadable result (api.job.unable_to_download_job)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  @APIResponse(
      responseCode = "404",
      description = "No such job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  @APIResponse(responseCode = "416", description = "The range is outside the file")
  public Response download(
      @Parameter(description = ID, required = true) @PathParam("id") String id,
      @Parameter(description = "bytes=a-b, bytes=a- or bytes=-n") @HeaderParam("Range")
          String range) {
    Job job = find(id);
    JobResultInfo result = jobs.result(job).orElse(null);
    if (result == null) {
      throw ApiException.mattermost(
          400,
          "api.job.unable_to_download_job",
          "Unable to download this job.",
          job.getStatus().isFinished() ? "the job has no result file" : "the job has not finished");
    }
    return Downloads.response(result, range, jobs);
  }

  @POST
  @Path("{id}/cancel")
  @Consumes(MediaType.WILDCARD)
  @Operation(
      operationId = "v4CancelJob",
      summary = "Cancel a job",
      description =
          "A pending job is canceled at once; a running "
              + "one becomes cancel_requested and is stopped by the instance running it, then canceled.")
  @APIResponse(
      responseCode = "200",
      description = "Asked",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = OK_SCHEMA)))
  @APIResponse(
      responseCode = "400",
      description = "Malformed id (api.context.invalid_url_param.app_error)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  @APIResponse(
      responseCode = "404",
      description = "No such job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  @APIResponse(
      responseCode = "409",
      description = "The job has finished (jobs.request_cancellation.status.error)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  public Response cancel(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    checkId(id);
    try {
      jobs.cancel(id, Caller.actor(security));
    } catch (JobNotFoundException e) {
      throw notFound(id);
    } catch (IllegalTransitionException e) {
      throw ApiException.mattermost(
          409,
          "jobs.request_cancellation.status.error",
          "Could not request cancellation of the job.",
          e.getMessage());
    }
    return json(OK);
  }

  /**
   * {@code /api/v4/jobs/type/} with no type is no route upstream (404 for anyone), where the {@code
   * {id}} route would otherwise take it as job id "type" (400).
   */
  @GET
  @Path("type/{type: [^/]{0}}")
  @PermitAll
  @Operation(hidden = true)
  public Response noType() {
    throw new NotFoundException("no route: a job type is missing after /type/");
  }

  @GET
  @Path("type/{type}")
  @RolesAllowed({Roles.MANAGE_JOBS, Roles.READ_JOBS})
  @Operation(
      operationId = "v4GetJobsByType",
      summary = "List jobs of one type",
      description = "Newest first, paged as the list.")
  @APIResponse(
      responseCode = "200",
      description = "An array of jobs (empty when none match)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "MattermostJobList")))
  @APIResponse(
      responseCode = "400",
      description =
          "Type longer than 32 characters or unknown (api.context.invalid_url_param.app_error)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  public Response byType(
      @Parameter(description = "A registered job type", required = true) @PathParam("type")
          String type,
      @Parameter(description = PAGE, schema = @Schema(type = SchemaType.INTEGER))
          @QueryParam("page")
          String page,
      @Parameter(description = PER_PAGE, schema = @Schema(type = SchemaType.INTEGER))
          @QueryParam("per_page")
          String perPage) {
    if (!JobTypes.isWellFormed(type) || !types.contains(type)) {
      throw invalidUrlParam("job_type", "unknown job type: " + type);
    }
    return list(List.of(type), List.of(), page, perPage);
  }

  @PATCH
  @Path("{id}/status")
  @Consumes(MediaType.WILDCARD)
  @Operation(
      operationId = "v4UpdateJobStatus",
      summary = "Set a job's status",
      description =
          "Without force: in_progress → pending "
              + "(requeue: the run is stopped and the job runs again), in_progress or pending → "
              + "cancel_requested (a pending job ends canceled at once), cancel_requested → canceled. With "
              + "force: true the target may be pending, cancel_requested or canceled from any status.")
  @RequestBody(
      required = true,
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "MattermostStatusChange")))
  @APIResponse(
      responseCode = "200",
      description = "Changed",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = OK_SCHEMA)))
  @APIResponse(
      responseCode = "400",
      description =
          "Malformed id or missing status (api.context.invalid_url_param.app_error,"
              + " api.context.invalid_body_param.app_error) or a change that is not allowed"
              + " (api.job.status.invalid)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  @APIResponse(
      responseCode = "404",
      description = "No such job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = APP_ERROR)))
  public Response changeStatus(
      @Parameter(description = ID, required = true) @PathParam("id") String id, InputStream in)
      throws IOException {
    checkId(id);
    JsonObject body = body(in, "status");
    JsonValue statusValue = body.get("status");
    if (statusValue == null
        || statusValue.getValueType() != JsonValue.ValueType.STRING
        || ((JsonString) statusValue).getString().isEmpty()) {
      throw invalidBodyParam("status", "status is missing");
    }
    JsonValue forceValue = body.getOrDefault("force", JsonValue.FALSE);
    if (forceValue.getValueType() != JsonValue.ValueType.TRUE
        && forceValue.getValueType() != JsonValue.ValueType.FALSE
        && forceValue.getValueType() != JsonValue.ValueType.NULL) {
      throw invalidBodyParam("force", "force must be true or false");
    }
    boolean force = forceValue.getValueType() == JsonValue.ValueType.TRUE;
    JobStatus target =
        switch (((JsonString) statusValue).getString()) {
          case "pending" -> JobStatus.PENDING;
          case "cancel_requested" -> JobStatus.CANCEL_REQUESTED;
          case "canceled" -> JobStatus.CANCELED;
          case "in_progress" -> JobStatus.RUNNING;
          case "success" -> JobStatus.COMPLETED;
          case "error" -> JobStatus.FAILED;
          case "warning" -> JobStatus.WARNING;
          default ->
              throw invalidStatus("unknown status: " + ((JsonString) statusValue).getString());
        };
    try {
      jobs.changeStatus(id, target, force, Caller.actor(security));
    } catch (JobNotFoundException e) {
      throw notFound(id);
    } catch (IllegalTransitionException e) {
      throw invalidStatus(e.getMessage());
    }
    return json(OK);
  }

  /** The request body as a JSON object, or a 400 naming what was wrong with it. */
  private static JsonObject body(InputStream in, String name) throws IOException {
    try {
      return Bodies.object(Bodies.read(in));
    } catch (Bodies.BadBodyException e) {
      throw invalidBodyParam(name, e.getMessage());
    }
  }

  private Job find(String id) {
    checkId(id);
    return jobs.find(id).orElseThrow(() -> notFound(id));
  }

  private static void checkId(String id) {
    if (!JobIds.isValid(id)) {
      throw invalidUrlParam("job_id", "not a job id: " + id);
    }
  }

  private static ApiException incorrectType(String detail) {
    return ApiException.mattermost(
        400,
        "api.job.unable_to_create_job.incorrect_job_type",
        "Unable to create the job: incorrect job type.",
        detail);
  }

  private static Response json(String body) {
    return Response.ok(body, MediaType.APPLICATION_JSON).build();
  }
}
