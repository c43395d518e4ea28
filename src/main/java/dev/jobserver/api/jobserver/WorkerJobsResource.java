package dev.jobserver.api.jobserver;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.api.common.ApiException;
import dev.jobserver.api.common.Bodies;
import dev.jobserver.common.Settings;
import dev.jobserver.job.JobIds;
import dev.jobserver.job.JobLifecycle.Cause;
import dev.jobserver.security.Roles;
import dev.jobserver.service.JobService;
import dev.jobserver.store.RemoteLeases;
import dev.jobserver.worker.WorkerRuns;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.io.IOException;
import java.io.InputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The worker protocol's writes on a claimed job: heartbeat, complete, fail, skip, result; each
 * fenced by the claim's lease token (409 once the lease is lost).
 */
@Path("jobserver/v1/jobs")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "workers")
public class WorkerJobsResource {

  static final String JSON_TYPE = MediaType.APPLICATION_JSON;
  static final String ID = "Job id";

  /** Default most bytes of a result file a worker uploads (JOBSERVER_RESULT_MAX_BYTES). */
  static final long DEFAULT_RESULT_MAX = 100L * 1024 * 1024;

  private static final Pattern FILE_NAME = Pattern.compile("filename=\"?([^\";]+)\"?");

  @Inject private WorkerRuns runs;
  @Inject private JobService jobs;
  @Context private SecurityContext security;

  @POST
  @Path("{id}/heartbeat")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Roles.JOBS_WORKER)
  @Operation(
      operationId = "heartbeatJob",
      summary = "Extend a claimed job's lease",
      description =
          "Extends the lease by the claim's lease_seconds (never past the type's timeout after"
              + " the start), records progress (0-100) and the message (kept as the job's"
              + " data.progress_message), and says whether a cancel was asked for:"
              + " then the worker stops and answers fail (the job ends canceled).")
  @RequestBody(
      required = true,
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Heartbeat")))
  @APIResponse(
      responseCode = "200",
      description = "The lease is extended",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "HeartbeatAnswer")))
  @APIResponse(
      responseCode = "409",
      description = "The lease is lost: stop the run",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response heartbeat(@PathParam("id") String id, InputStream in) throws IOException {
    checkId(id);
    JsonObject body = body(in);
    long token = WorkerRequests.token(body);
    Integer progress = WorkerRequests.optionalInteger(body, "progress", 0, 100);
    String message = WorkerRequests.text(body, "message", false);
    RemoteLeases.Beat beat =
        runs.heartbeat(id, token, progress, message, dev.jobserver.security.Caller.actor(security));
    switch (beat.answer()) {
      case NOT_FOUND -> throw notFound(id);
      case LOST -> throw lost(id, token);
      default -> {}
    }
    return Response.ok(
            JSON.createObjectBuilder()
                .add("cancel_requested", beat.cancelRequested())
                .add("lease_expires_at", NativeTimes.iso(beat.leaseExpiresAt()))
                .build()
                .toString(),
            MediaType.APPLICATION_JSON)
        .build();
  }

  @POST
  @Path("{id}/complete")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Roles.JOBS_WORKER)
  @Operation(
      operationId = "completeJob",
      summary = "A claimed job's run succeeded",
      description = "The same request with the same token answers the same.")
  @RequestBody(
      required = true,
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "RunEnd")))
  @APIResponse(
      responseCode = "200",
      description = "The job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "409",
      description = "Another token, or the lease is lost",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response complete(@PathParam("id") String id, InputStream in) throws IOException {
    JsonObject body = body(in);
    return end(id, body, "complete", Cause.SUCCEED, WorkerRequests.text(body, "message", false));
  }

  @POST
  @Path("{id}/skip")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Roles.JOBS_WORKER)
  @Operation(
      operationId = "skipJob",
      summary = "A claimed job had nothing to do",
      description = "Ends it SKIPPED (dependents treat it as success). Idempotent per token.")
  @RequestBody(
      required = true,
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "RunEnd")))
  @APIResponse(
      responseCode = "200",
      description = "The job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "409",
      description = "Another token, or the lease is lost",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response skip(@PathParam("id") String id, InputStream in) throws IOException {
    JsonObject body = body(in);
    return end(id, body, "skip", Cause.SKIP, WorkerRequests.text(body, "reason", false));
  }

  @POST
  @Path("{id}/fail")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Roles.JOBS_WORKER)
  @Operation(
      operationId = "failJob",
      summary = "A claimed job's run failed",
      description =
          "Retried after retry_after_seconds (0-86400; default the type's backoff) while attempts"
              + " remain, unless retryable is false (then it fails now). A run under a cancel"
              + " request ends canceled. Idempotent per token.")
  @RequestBody(
      required = true,
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "RunEnd")))
  @APIResponse(
      responseCode = "200",
      description = "The job",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Job")))
  @APIResponse(
      responseCode = "409",
      description = "Another token, or the lease is lost",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response fail(@PathParam("id") String id, InputStream in) throws IOException {
    JsonObject body = body(in);
    return end(id, body, "fail", Cause.FAIL, WorkerRequests.text(body, "error", true));
  }

  private Response end(String id, JsonObject body, String answer, Cause cause, String text) {
    checkId(id);
    long token = WorkerRequests.token(body);
    boolean retryable = WorkerRequests.bool(body, "retryable", true);
    Integer retryAfter = WorkerRequests.optionalInteger(body, "retry_after_seconds", 0, 86_400);
    RemoteLeases.Ended a =
        runs.finish(
            id,
            token,
            answer,
            cause,
            text,
            retryable,
            retryAfter,
            dev.jobserver.security.Caller.actor(security));
    switch (a.answer()) {
      case NOT_FOUND -> throw notFound(id);
      case LOST -> throw lost(id, token);
      default -> {}
    }
    return Response.ok(NativeJobView.of(a.job()).toString(), MediaType.APPLICATION_JSON).build();
  }

  @PUT
  @Path("{id}/result")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Roles.JOBS_WORKER)
  @Operation(
      operationId = "putJobResult",
      summary = "Upload a claimed job's result file",
      description =
          "The body is the file, streamed to the store (never held whole), with its Content-Type"
              + " and an optional Content-Disposition filename; header Jobserver-Lease-Token. Over"
              + " JOBSERVER_RESULT_MAX_BYTES (default 100 MiB) → 413 and nothing is kept.")
  @APIResponse(responseCode = "204", description = "Stored")
  @APIResponse(
      responseCode = "409",
      description = "Another token, or the lease is lost",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  @APIResponse(
      responseCode = "413",
      description = "Larger than the result size limit",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response result(
      @PathParam("id") String id,
      @HeaderParam("Jobserver-Lease-Token") String tokenHeader,
      @HeaderParam("Content-Type") String contentType,
      @HeaderParam("Content-Disposition") String disposition,
      @HeaderParam("Content-Length") Long length,
      InputStream in)
      throws IOException {
    checkId(id);
    long token = WorkerRequests.token(tokenHeader);
    long limit =
        Settings.number("JOBSERVER_RESULT_MAX_BYTES", DEFAULT_RESULT_MAX, 1, Long.MAX_VALUE);
    if (length != null && length > limit) {
      throw ApiException.nativeError(
          413, "The result is larger than " + limit + " bytes (JOBSERVER_RESULT_MAX_BYTES).");
    }
    String fileName = id + ".bin";
    if (disposition != null) {
      Matcher m = FILE_NAME.matcher(disposition);
      if (m.find() && !m.group(1).isBlank()) {
        fileName = m.group(1).replaceAll("[\\\\/\\p{Cntrl}]", "_");
      }
    }
    String type = contentType == null ? "application/octet-stream" : contentType;
    jobs.find(id).orElseThrow(() -> notFound(id));
    try {
      runs.result(id, token, fileName, type, in, limit);
    } catch (WorkerRuns.TooLarge e) {
      throw ApiException.nativeError(413, e.getMessage());
    } catch (WorkerRuns.LeaseLost e) {
      throw lost(id, token);
    }
    return Response.noContent().build();
  }

  private static JsonObject body(InputStream in) throws IOException {
    return Bodies.jsonObject(Bodies.read(in))
        .orElseThrow(() -> NativeParams.bad("body: must be a JSON object"));
  }

  private static void checkId(String id) {
    if (!JobIds.isValid(id)) {
      throw notFound(id);
    }
  }

  private static ApiException notFound(String id) {
    return ApiException.nativeError(404, "Job " + NativeParams.quote(id) + " does not exist.");
  }

  private ApiException lost(String id, long token) {
    runs.leaseLost();
    return ApiException.nativeError(
        409,
        "The lease of token "
            + token
            + " on job "
            + id
            + " is lost (expired, ended, canceled, or another run holds the job): stop this run.");
  }
}
