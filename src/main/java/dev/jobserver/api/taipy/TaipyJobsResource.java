package dev.jobserver.api.taipy;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.api.common.ApiException;
import dev.jobserver.common.WholeNumbers;
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
import dev.jobserver.job.JobService;
import dev.jobserver.security.Caller;
import dev.jobserver.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.stream.JsonGenerator;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
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
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The Taipy REST jobs API. Every route also answers with a trailing slash (JAX-RS matches both).
 * Messages are Taipy's own, which its clients and scripts match on.
 */
@Path("v1/jobs")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "taipy")
public class TaipyJobsResource {

  // the schemas of META-INF/openapi.yaml
  private static final String JSON_TYPE = MediaType.APPLICATION_JSON;
  private static final String MESSAGE = "TaipyMessage";
  private static final String ID = "Job id (Taipy or Mattermost form)";

  @Inject private JobService jobs;
  @Inject private JobTypeRegistry types;
  @Context private SecurityContext security;

  @GET
  @RolesAllowed({Roles.TAIPY_READER, Roles.TAIPY_EDITOR, Roles.TAIPY_EXECUTOR, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "taipyGetJobs",
      summary = "Get all jobs",
      description =
          "A bare array of every job, oldest first, streamed (constant memory however many)."
              + " Optional page/per_page (extension) return one page.")
  @APIResponse(
      responseCode = "200",
      description = "An array of Taipy jobs",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "TaipyJobList")))
  @APIResponse(
      responseCode = "400",
      description = "A bad page or per_page (named in the message)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = MESSAGE)))
  public Response list(
      @Parameter(
              description = "Extension: page number from 0 (default 0; per_page 100 if absent)",
              schema = @Schema(type = SchemaType.INTEGER, minimum = "0"))
          @QueryParam("page")
          String page,
      @Parameter(
              description = "Extension: jobs per page, 1-10000 (default 100)",
              schema = @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "10000"))
          @QueryParam("per_page")
          String perPage) {
    long limit = -1;
    long offset = 0;
    if (perPage != null || page != null) {
      limit = bounded(perPage, 100, 1, 10_000, "per_page");
      offset = bounded(page, 0, 0, Integer.MAX_VALUE, "page") * limit;
    }
    JobPages pages = jobs.list(JobQuery.oldestFirst().page(offset, limit), JobFields.WITHOUT_DATA);
    List<JobRecord> first = pages.next(); // a failure to read answers before the body begins
    StreamingOutput body =
        out -> {
          try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartArray();
            pages.forEach(first, job -> TaipyJobView.write(g, job));
            g.writeEnd();
          }
        };
    return Response.ok(body, MediaType.APPLICATION_JSON).build();
  }

  @GET
  @Path("{id}")
  @RolesAllowed({Roles.TAIPY_READER, Roles.TAIPY_EDITOR, Roles.TAIPY_EXECUTOR, Roles.TAIPY_ADMIN})
  @Operation(operationId = "taipyGetJob", summary = "Get a job")
  @APIResponse(
      responseCode = "200",
      description = "The job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "TaipyJobEnvelope")))
  @APIResponse(
      responseCode = "404",
      description = "Job: <id> does not exist.",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = MESSAGE)))
  public Response get(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    Job job = find(id);
    return json(
        JSON.createObjectBuilder()
            .add("job", TaipyJobView.of(JobRecord.of(job, null)))
            .build()
            .toString(),
        200);
  }

  @POST
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.TAIPY_EDITOR, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "taipyCreateJob",
      summary = "Create a job",
      description =
          "Creates a job of the task config (job type) "
              + "named by task_id (a config id, or a task id TASK_<config>_<uuid>) and queues it to"
              + " run.")
  @APIResponse(
      responseCode = "201",
      description = "Job was created.",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "TaipyJobCreated")))
  @APIResponse(
      responseCode = "400",
      description =
          "Config id is missing, or the task config's jobs need data this API cannot give (an"
              + " http job's url)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = MESSAGE)))
  @APIResponse(
      responseCode = "404",
      description = "Task config: <id> does not exist.",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = MESSAGE)))
  public Response create(
      @Parameter(
              description = "Task config id (a job type), or TASK_<config>_<uuid>",
              required = true,
              example = "sleep")
          @QueryParam("task_id")
          String taskId) {
    if (taskId == null || taskId.isBlank()) {
      throw ApiException.taipy(400, "Config id is missing.");
    }
    String type = JobIds.typeOfTaskId(taskId).orElse(taskId);
    if (!types.contains(type)) {
      throw ApiException.taipy(404, "Task config: " + taskId + " does not exist.");
    }
    Job job;
    try {
      job = jobs.create(type, Map.of(), 0, IdForm.TAIPY, false, Caller.actor(security));
    } catch (InvalidJobDataException e) {
      // a task config whose jobs need data (http: url) cannot be created without it here
      throw ApiException.taipy(400, e.getMessage());
    }
    return json(
        JSON.createObjectBuilder()
            .add("message", "Job was created.")
            .add("job", TaipyJobView.of(JobRecord.of(job, null)))
            .build()
            .toString(),
        201);
  }

  @DELETE
  @Path("{id}")
  @RolesAllowed({Roles.TAIPY_EDITOR, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "taipyDeleteJob",
      summary = "Delete a job",
      description = "Deletes a finished job with its result and events.")
  @APIResponse(
      responseCode = "200",
      description = "Job <id> was deleted.",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = MESSAGE)))
  @APIResponse(
      responseCode = "404",
      description = "Job: <id> does not exist.",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = MESSAGE)))
  @APIResponse(
      responseCode = "409",
      description = "Job: <id> cannot be deleted. (it has not finished)",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = MESSAGE)))
  public Response delete(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    checkId(id);
    try {
      jobs.delete(id, Caller.actor(security));
    } catch (JobNotFoundException e) {
      throw notFound(id);
    } catch (IllegalTransitionException e) {
      throw ApiException.taipy(409, "Job: " + id + " cannot be deleted.");
    }
    return message("Job " + id + " was deleted.");
  }

  @POST
  @Path("cancel/{id}")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed({Roles.TAIPY_EXECUTOR, Roles.TAIPY_ADMIN})
  @Operation(
      operationId = "taipyCancelJob",
      summary = "Cancel a job",
      description =
          "A pending job is canceled, a running one is stopped, a finished one is left as it is.")
  @APIResponse(
      responseCode = "200",
      description = "Job <id> was cancelled.",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = MESSAGE)))
  @APIResponse(
      responseCode = "404",
      description = "Job: <id> does not exist.",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = MESSAGE)))
  public Response cancel(@Parameter(description = ID, required = true) @PathParam("id") String id) {
    checkId(id);
    try {
      jobs.cancelIfUnfinished(id, Caller.actor(security));
    } catch (JobNotFoundException e) {
      throw notFound(id);
    }
    return message("Job " + id + " was cancelled.");
  }

  private Job find(String id) {
    checkId(id);
    return jobs.find(id).orElseThrow(() -> notFound(id));
  }

  private static void checkId(String id) {
    if (!JobIds.isValid(id)) {
      throw notFound(id);
    }
  }

  private static ApiException notFound(String id) {
    return ApiException.taipy(404, "Job: " + id + " does not exist.");
  }

  private static long bounded(String value, long fallback, long min, long max, String name) {
    try {
      return WholeNumbers.parse(value, fallback, min, max, name);
    } catch (IllegalArgumentException e) {
      throw ApiException.taipy(400, e.getMessage());
    }
  }

  private static Response message(String message) {
    return json(JSON.createObjectBuilder().add("message", message).build().toString(), 200);
  }

  private static Response json(String body, int status) {
    return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
  }
}
