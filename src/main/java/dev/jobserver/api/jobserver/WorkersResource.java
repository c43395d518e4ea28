package dev.jobserver.api.jobserver;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.api.common.Bodies;
import dev.jobserver.engine.JobTypeRegistry;
import dev.jobserver.job.StoreException;
import dev.jobserver.security.Caller;
import dev.jobserver.security.Roles;
import dev.jobserver.store.RemoteLeases;
import dev.jobserver.store.RemoteWorkerStore;
import dev.jobserver.worker.WorkerClaims;
import dev.jobserver.worker.WorkerSightings;
import jakarta.annotation.security.RolesAllowed;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.io.IOException;
import java.io.InputStream;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The worker protocol's claim, with its long poll (API.md "Remote types and workers"). */
@Path("jobserver/v1/workers")
@ApplicationScoped
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "workers")
public class WorkersResource {

  static final String JSON_TYPE = MediaType.APPLICATION_JSON;

  @Inject private WorkerClaims claims;
  @Inject private JobTypeRegistry types;
  @Inject private RemoteWorkerStore workers;
  @Context private SecurityContext security;

  /** The actor of a worker's changes: worker:<token subject>/<worker>. */
  static String actor(SecurityContext security, String worker) {
    return "worker:" + Caller.actor(security) + "/" + worker;
  }

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
      operationId = "listWorkers",
      summary = "Remote workers connected now",
      description =
          "The workers that claimed or beat on any instance in the last minute, last seen first:"
              + " their token subject and name, the types of their last claim, the instance that"
              + " saw them last, and the jobs they hold (running under their leases).")
  @APIResponse(
      responseCode = "200",
      description = "The workers",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "WorkerList")))
  public Response list() {
    long now = System.currentTimeMillis();
    List<RemoteWorkerStore.Worker> seen;
    try {
      seen = workers.seenSince(now - WorkerSightings.CONNECTED_MILLIS, now);
    } catch (SQLException e) {
      throw StoreException.of("Reading the workers failed", e);
    }
    JsonArrayBuilder a = JSON.createArrayBuilder();
    for (RemoteWorkerStore.Worker w : seen) {
      JsonArrayBuilder types = JSON.createArrayBuilder();
      w.types().forEach(types::add);
      JsonObjectBuilder o =
          JSON.createObjectBuilder()
              .add("subject", w.subject())
              .add("worker", w.name())
              .add("types", types)
              .add("first_seen_at", NativeTimes.iso(w.firstSeenAt()))
              .add("last_seen_at", NativeTimes.iso(w.lastSeenAt()))
              .add("jobs_held", w.jobsHeld());
      if (w.instance() == null) {
        o.addNull("instance");
      } else {
        o.add("instance", w.instance());
      }
      a.add(o);
    }
    return Response.ok(
            JSON.createObjectBuilder().add("workers", a).build().toString(),
            MediaType.APPLICATION_JSON)
        .build();
  }

  @POST
  @Path("claims")
  @Consumes(MediaType.WILDCARD)
  @RolesAllowed(Roles.JOBS_WORKER)
  @Operation(
      operationId = "claimJobs",
      summary = "Claim jobs of remote types (long poll)",
      description =
          "Starts up to max due jobs of the given remote types and answers them with their lease"
              + " tokens, as soon as there are any; waits up to wait_seconds (0-30, default 0)"
              + " for one, then answers 204. max 1-100 (default 1), lease_seconds 5-3600 (default"
              + " 60): heartbeat within it. A type's max_concurrent holds across all workers and"
              + " instances.")
  @RequestBody(
      required = true,
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ClaimRequest")))
  @APIResponse(
      responseCode = "200",
      description = "The claimed jobs, running",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ClaimedJobs")))
  @APIResponse(responseCode = "204", description = "Nothing came within wait_seconds")
  @APIResponse(
      responseCode = "400",
      description = "A bad field, or a type that is not remote; the message names it",
      content = @Content(mediaType = JSON_TYPE, schema = @Schema(ref = "ApiError")))
  public void claim(InputStream in, @Suspended AsyncResponse async) throws IOException {
    JsonObject body =
        Bodies.jsonObject(Bodies.read(in))
            .orElseThrow(() -> NativeParams.bad("body: must be a JSON object"));
    String worker = WorkerRequests.worker(body);
    Set<String> wanted = WorkerRequests.types(body);
    for (String t : wanted) {
      if (types.remoteType(t) == null) {
        throw NativeParams.bad(
            "types: "
                + NativeParams.quote(t)
                + (types.isBuiltIn(t) ? " is not a remote type" : " is no job type")
                + " (declare it with PUT /types/{name})");
      }
    }
    int max = WorkerRequests.integer(body, "max", 1, 1, 100);
    int lease = WorkerRequests.integer(body, "lease_seconds", 60, 5, 3600);
    int wait = WorkerRequests.integer(body, "wait_seconds", 0, 0, 30);
    WorkerClaims.Request request =
        new WorkerClaims.Request(
            Caller.actor(security), worker, wanted, max, lease, wait, actor(security, worker));
    async.setTimeout(wait + 10L, TimeUnit.SECONDS);
    async.setTimeoutHandler(r -> r.resume(Response.noContent().build()));
    claims.claim(request, jobs -> async.resume(answer(jobs)));
  }

  static Response answer(List<RemoteLeases.Claimed> jobs) {
    if (jobs.isEmpty()) {
      return Response.noContent().build();
    }
    JsonArrayBuilder a = JSON.createArrayBuilder();
    for (RemoteLeases.Claimed j : jobs) {
      JsonObjectBuilder data = JSON.createObjectBuilder();
      for (Map.Entry<String, String> e : j.data().entrySet()) {
        data.add(e.getKey(), e.getValue());
      }
      a.add(
          JSON.createObjectBuilder()
              .add("id", j.id())
              .add("type", j.type())
              .add("data", data)
              .add("attempt", j.attempt())
              .add("max_attempts", j.maxAttempts())
              .add("lease_token", j.leaseToken())
              .add("lease_expires_at", NativeTimes.iso(j.leaseExpiresAt())));
    }
    return Response.ok(
            JSON.createObjectBuilder().add("jobs", a).build().toString(),
            MediaType.APPLICATION_JSON)
        .build();
  }
}
