package dev.jobserver.clients;

import dev.jobserver.client.ApiClient;
import dev.jobserver.client.ApiException;
import dev.jobserver.client.api.JobsApi;
import dev.jobserver.client.api.MattermostApi;
import dev.jobserver.client.model.ApiError;
import dev.jobserver.client.model.AppError;
import dev.jobserver.client.model.Job;
import dev.jobserver.client.model.JobPage;
import dev.jobserver.client.model.JobStatus;
import dev.jobserver.client.model.MattermostJob;
import dev.jobserver.client.model.MattermostNewJob;
import dev.jobserver.client.model.MattermostStatusOk;
import dev.jobserver.client.model.NewJob;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * What a Java team does with the client generated from /openapi (java generator, native library):
 * create a v4 job and read it until it succeeds, cancel another, search through the native API page
 * by page with the cursor, and read a 404 as the typed error. Exits 1 at the first thing that is not
 * as the API says. Usage: JavaClientScenario BASE_URL TOKEN
 */
public final class JavaClientScenario {

  public static void main(String[] args) throws Exception {
    ApiClient client = new ApiClient();
    client.updateBaseUri(args[0]);
    client.setRequestInterceptor(r -> r.header("Authorization", "Bearer " + args[1]));
    MattermostApi v4 = new MattermostApi(client);
    JobsApi jobs = new JobsApi(client);

    // a v4 job, read until it succeeds
    MattermostJob created =
        v4.v4CreateJob(new MattermostNewJob().type("sleep").putDataItem("duration_ms", "300"));
    check(created.getStatus() == MattermostJob.StatusEnum.PENDING, "created pending: " + created);
    MattermostJob done =
        await(() -> v4.v4GetJob(created.getId()), j -> j.getStatus() == MattermostJob.StatusEnum.SUCCESS);
    System.out.println("v4 job " + done.getId() + " " + done.getStatus() + ", progress " + done.getProgress());

    // another one canceled while it runs or waits
    MattermostJob longOne =
        v4.v4CreateJob(new MattermostNewJob().type("sleep").putDataItem("duration_ms", "60000"));
    MattermostStatusOk ok = v4.v4CancelJob(longOne.getId());
    check(ok.getStatus() == MattermostStatusOk.StatusEnum.OK, "cancel answered " + ok);
    MattermostJob canceled =
        await(() -> v4.v4GetJob(longOne.getId()), j -> j.getStatus() == MattermostJob.StatusEnum.CANCELED);
    System.out.println("v4 job " + canceled.getId() + " " + canceled.getStatus());

    // the native API: five jobs, found again two per page by following next_cursor
    String marker = UUID.randomUUID().toString();
    Set<String> made = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      Job j = jobs.createJob(new NewJob().type("noop").data(Map.of("batch", marker, "n", "" + i)));
      made.add(j.getId());
    }
    List<String> found = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JobPage page = jobs.searchJobs(List.of("noop"), null, null, null, null, null, 2, cursor);
      pages++;
      check(page.getJobs().size() <= 2, "a page of at most 2: " + page.getJobs().size());
      page.getJobs().stream()
          .filter(j -> marker.equals(j.getData().get("batch")))
          .forEach(j -> found.add(j.getId()));
      cursor = page.getNextCursor();
    } while (cursor != null && found.size() < made.size());
    check(found.size() == 5 && made.containsAll(found), "found " + found + ", made " + made);
    System.out.println("native search: the 5 jobs in " + pages + " pages of 2 (cursor)");
    Job first = jobs.getJob(found.get(0));
    check(first.getType().equals("noop") && first.getStatus() != null, "native job " + first);

    // a 404 is an ApiException whose body is the API's typed error
    String missing = "a".repeat(26);
    try {
      v4.v4GetJob(missing);
      fail("v4GetJob of a missing job answered");
    } catch (ApiException e) {
      check(e.getCode() == 404, "v4 missing: " + e.getCode());
      AppError error = client.getObjectMapper().readValue(e.getResponseBody(), AppError.class);
      check("app.job.get.app_error".equals(error.getId()) && error.getStatusCode() == 404, "" + error);
      System.out.println("v4 404: AppError " + error.getId() + " (" + error.getMessage() + ")");
    }
    try {
      jobs.getJob(missing);
      fail("getJob of a missing job answered");
    } catch (ApiException e) {
      ApiError error = client.getObjectMapper().readValue(e.getResponseBody(), ApiError.class);
      check(e.getCode() == 404 && error.getMessage().contains(missing), "" + error);
      System.out.println("native 404: ApiError \"" + error.getMessage() + "\"");
    }
    check(JobStatus.fromValue("completed") == JobStatus.COMPLETED, "the status enum");
    System.out.println("java client scenario: OK");
  }

  interface Call<T> {
    T get() throws ApiException;
  }

  private static <T> T await(Call<T> call, Predicate<T> done) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    T last = call.get();
    while (!done.test(last)) {
      if (System.currentTimeMillis() > deadline) {
        fail("not there in 30 s: " + last);
      }
      Thread.sleep(100);
      last = call.get();
    }
    return last;
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      fail(what);
    }
  }

  private static void fail(String what) {
    System.err.println("java client scenario FAILED: " + what);
    System.exit(1);
  }
}
