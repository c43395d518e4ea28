package dev.jobserver.api.jobserver;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.api.common.ApiException;
import dev.jobserver.api.common.Bodies;
import dev.jobserver.engine.JobHandler;
import dev.jobserver.engine.JobTypeRegistry;
import dev.jobserver.engine.JobTypeSettings;
import dev.jobserver.engine.RemoteType;
import dev.jobserver.job.JobIds;
import dev.jobserver.job.JobStatus;
import dev.jobserver.job.JobTypes;
import dev.jobserver.job.StoreException;
import dev.jobserver.security.Caller;
import dev.jobserver.security.Roles;
import dev.jobserver.service.JobService;
import dev.jobserver.store.InstanceStore;
import dev.jobserver.store.RemoteTypeStore;
import dev.jobserver.store.StatsReads;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
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
import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The native API's views of the whole server: stats, job types, and the caller. */
@Path("jobserver/v1")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "server")
public class ServerResource {

  private static final String JSON_TYPE = MediaType.APPLICATION_JSON;

  @Inject private JobService jobs;
  @Inject private JobTypeRegistry types;
  @Inject private RemoteTypeStore remoteTypes;
  @Context private SecurityContext security;

  @GET
  @Path("stats")
  @RolesAllowed({
    Roles.READ_JOBS,
    Roles.MANAGE_JOBS,
    Roles.TAIPY_READER,
    Roles.TAIPY_EDITOR,
    Roles.TAIPY_EXECUTOR,
    Roles.TAIPY_ADMIN
  })
  @Operation(
      operationId = "getStats",
      summary = "Counts, throughput and instances",
      description =
          "Per type: jobs in each status now (every status, 0 included), jobs finished and failed"
              + " in the last hour and the mean run time of the runs that ended in it; every"
              + " registered type and every type that has jobs is listed. Instances: those whose"
              + " engine beat within three leases, with their workers and how many were busy."
              + " Read from counters kept with every change, not by counting jobs.")
  @APIResponse(
      responseCode = "200",
      description = "The stats",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Stats")))
  public Response stats() {
    JobService.Stats stats = jobs.stats();
    Set<String> names = new TreeSet<>(stats.counts().keySet());
    names.addAll(stats.lastHour().keySet());
    types.all().forEach(h -> names.add(h.type()));
    JsonObjectBuilder byType = JSON.createObjectBuilder();
    for (String type : names) {
      JsonObjectBuilder t = JSON.createObjectBuilder();
      Map<JobStatus, Long> counts = stats.counts().getOrDefault(type, Map.of());
      for (JobStatus status : JobStatus.values()) {
        t.add(NativeParams.name(status), counts.getOrDefault(status, 0L));
      }
      StatsReads.Runs runs = stats.lastHour().getOrDefault(type, new StatsReads.Runs(0, 0, 0, 0));
      t.add("finished_last_hour", runs.finished())
          .add("failed_last_hour", runs.failed())
          .add("avg_run_ms", runs.averageRunMillis());
      byType.add(type, t);
    }
    JsonArrayBuilder instances = JSON.createArrayBuilder();
    for (InstanceStore.Instance i : stats.instances()) {
      instances.add(
          JSON.createObjectBuilder()
              .add("id", i.id())
              .add("workers", i.workers())
              .add("busy", i.busy())
              .add("last_seen_at", NativeTimes.iso(i.lastSeenAt())));
    }
    return json(
        JSON.createObjectBuilder()
            .add("types", byType)
            .add("instances", instances)
            .build()
            .toString());
  }

  @GET
  @Path("types")
  @RolesAllowed({
    Roles.READ_JOBS,
    Roles.MANAGE_JOBS,
    Roles.TAIPY_READER,
    Roles.TAIPY_EDITOR,
    Roles.TAIPY_EXECUTOR,
    Roles.TAIPY_ADMIN
  })
  @Operation(
      operationId = "getJobTypes",
      summary = "The registered job types",
      description = "Every job type this server runs, with its settings, by name.")
  @APIResponse(
      responseCode = "200",
      description = "The types",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "JobTypeList")))
  public Response jobTypes() {
    JsonArrayBuilder a = JSON.createArrayBuilder();
    for (JobHandler h : types.all()) {
      a.add(typeView(h));
    }
    return json(a.build().toString());
  }

  @PUT
  @Path("types/{name}")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Roles.MANAGE_JOBS)
  @Operation(
      operationId = "putRemoteType",
      summary = "Declare a remote job type",
      description =
          "Creates or replaces a type that workers elsewhere run over the worker protocol"
              + " (docs/remote-workers.md): its jobs are created like any others (v4 type, Taipy"
              + " task_id, schedules, dependencies) and claimed only by workers. timeout and"
              + " backoff are ISO-8601 durations (timeout PT1S to P7D, default PT1H; backoff up"
              + " to P1D, default PT1S), max_attempts 1-100 (default 1), max_concurrent the most"
              + " runs at once across all workers and instances (0, the default: no limit).")
  @RequestBody(
      required = true,
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "RemoteTypeRequest")))
  @APIResponse(
      responseCode = "200",
      description = "The type, as the types list shows it",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "JobType")))
  @APIResponse(
      responseCode = "400",
      description = "A bad name or field; the message names it",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  @APIResponse(
      responseCode = "409",
      description = "A handler in the WAR implements this type",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response putRemoteType(@PathParam("name") String name, InputStream in) throws IOException {
    checkTypeName(name);
    JsonObject body =
        Bodies.jsonObject(Bodies.read(in))
            .orElseThrow(() -> NativeParams.bad("body: must be a JSON object"));
    RemoteTypeStore.Row row = RemoteTypeRequest.of(name, body);
    if (types.isBuiltIn(name)) {
      throw ApiException.nativeError(
          409, "name: '" + name + "' is a built-in type (a handler in the WAR runs it)");
    }
    try {
      remoteTypes.put(row, Caller.actor(security));
    } catch (SQLException e) {
      throw StoreException.of("Storing the remote type failed", e);
    }
    RemoteType declared = types.refreshRemote().get(name);
    if (declared == null) {
      throw StoreException.of(
          "Reading the remote type back failed", new SQLException("not read back"));
    }
    return json(typeView(declared).build().toString());
  }

  @DELETE
  @Path("types/{name}")
  @RolesAllowed(Roles.MANAGE_JOBS)
  @Operation(
      operationId = "deleteRemoteType",
      summary = "Delete a remote job type",
      description =
          "Refused while jobs of the type are not finished (pending, blocked, running), and for"
              + " a built-in type.")
  @APIResponse(responseCode = "204", description = "Deleted")
  @APIResponse(
      responseCode = "404",
      description = "No such remote type",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  @APIResponse(
      responseCode = "409",
      description = "A built-in type, or one with unfinished jobs",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public Response deleteRemoteType(@PathParam("name") String name) {
    checkTypeName(name);
    if (types.isBuiltIn(name)) {
      throw ApiException.nativeError(
          409, "name: '" + name + "' is a built-in type and cannot be deleted");
    }
    RemoteTypeStore.Deleted deleted;
    try {
      deleted = remoteTypes.delete(name);
    } catch (SQLException e) {
      throw StoreException.of("Deleting the remote type failed", e);
    }
    types.refreshRemote();
    return switch (deleted) {
      case DELETED -> Response.noContent().build();
      case NOT_FOUND -> throw ApiException.nativeError(404, "No remote type '" + name + "'.");
      case IN_USE ->
          throw ApiException.nativeError(
              409, "Jobs of type '" + name + "' are not finished yet; the type stays.");
    };
  }

  private static void checkTypeName(String name) {
    if (!JobTypes.isWellFormed(name)) {
      throw NativeParams.bad(
          "name: " + NativeParams.quote(name) + " is not a job type name, " + JobTypes.NAME);
    }
  }

  /** One type as the lists show it. */
  static JsonObjectBuilder typeView(JobHandler h) {
    JobTypeSettings s = h.settings();
    return JSON.createObjectBuilder()
        .add("type", h.type())
        .add("description", h.description())
        .add("task_id", JobIds.taipyTaskId(h.type()))
        .add("timeout_ms", s.timeout().toMillis())
        .add("max_attempts", s.maxAttempts())
        .add("backoff_ms", s.backoff().toMillis())
        .add("max_concurrent", s.maxConcurrent())
        .add("remote", h instanceof RemoteType);
  }

  @GET
  @Path("me")
  @RolesAllowed({
    Roles.READ_JOBS,
    Roles.MANAGE_JOBS,
    Roles.TAIPY_READER,
    Roles.TAIPY_EDITOR,
    Roles.TAIPY_EXECUTOR,
    Roles.TAIPY_ADMIN
  })
  @Operation(
      operationId = "getMe",
      summary = "Who am I",
      description =
          "The caller's subject, its Jobserver roles and whether it may change jobs, so that a"
              + " client offers only what it may do.")
  @APIResponse(
      responseCode = "200",
      description = "The caller",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "Me")))
  public Response me() {
    JsonArrayBuilder roles = JSON.createArrayBuilder();
    boolean canWrite = false;
    for (String role : Roles.ALL) {
      if (security.isUserInRole(role)) {
        roles.add(role);
        canWrite |= role.equals(Roles.MANAGE_JOBS) || role.equals(Roles.TAIPY_ADMIN);
      }
    }
    return json(
        JSON.createObjectBuilder()
            .add("subject", Caller.actor(security))
            .add("roles", roles)
            .add("can_write", canWrite)
            .build()
            .toString());
  }

  private static Response json(String body) {
    return Response.ok(body, MediaType.APPLICATION_JSON).build();
  }
}
