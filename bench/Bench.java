import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load and measurement for Jobserver, one file, run with the JDK's source launcher:
 *
 * <pre>
 *   java Bench.java create  BASE_URL TOKEN COUNT CLIENTS TYPE DATA_JSON
 *   java Bench.java steady  BASE_URL TOKEN SECONDS CLIENTS
 *   java Bench.java list    BASE_URL TOKEN REQUESTS QUERY
 *   java Bench.java rate    BASE_URL TOKEN SECONDS CLIENTS PATH
 *   java Bench.java get     BASE_URL TOKEN REQUESTS NAME PATH [PATH...]
 *   java Bench.java remote  BASE_URL TOKEN TYPE JOBS CLIENTS MAX
 *   java Bench.java wake    CREATE_URL CLAIM_URL TOKEN TYPE COUNT NAME
 * </pre>
 *
 * Every figure is printed as one line "name value unit".
 */
public class Bench {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "create" -> create(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]), args[5], args[6]);
      case "steady" -> steady(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
      case "list" -> list(args[1], args[2], Integer.parseInt(args[3]), args[4]);
      case "rate" -> rate(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]), args[5]);
      case "get" -> get(args[1], args[2], Integer.parseInt(args[3]), args[4], Arrays.copyOfRange(args, 5, args.length));
      case "remote" -> remote(args[1], args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]),
          Integer.parseInt(args[6]));
      case "wake" -> wake(args[1], args[2], args[3], args[4], Integer.parseInt(args[5]), args[6]);
      default -> throw new IllegalArgumentException("create | steady | list | rate | get | remote | wake");
    }
  }

  static Thread started(Runnable r) {
    Thread t = new Thread(r);
    t.start();
    return t;
  }

  static HttpRequest post(String base, String token, String body) {
    return HttpRequest.newBuilder(URI.create(base + "/api/v4/jobs"))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  /** Creates COUNT jobs with CLIENTS concurrent clients; prints creates/s and latencies. */
  static void create(String base, String token, int count, int clients, String type, String data) throws Exception {
    String body = "{\"type\":\"" + type + "\",\"data\":" + data + "}";
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    long[] latencies = new long[count];
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      threads.add(started(() -> {
        int i;
        while ((i = next.getAndIncrement()) < count) {
          long t0 = System.nanoTime();
          try {
            HttpResponse<String> r = HTTP.send(post(base, token, body), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201) {
              failed.incrementAndGet();
              System.err.println("create " + r.statusCode() + " " + r.body());
            }
          } catch (Exception e) {
            failed.incrementAndGet();
            System.err.println("create failed: " + e);
          }
          latencies[i] = System.nanoTime() - t0;
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Arrays.sort(latencies);
    System.out.printf("created %d jobs%n", count - failed.get());
    System.out.printf("create_failed %d jobs%n", failed.get());
    System.out.printf("create_rate %.0f jobs/s%n", count / seconds);
    System.out.printf("create_p50 %.1f ms%n", latencies[count / 2] / 1e6);
    System.out.printf("create_p99 %.1f ms%n", latencies[(int) (count * 0.99)] / 1e6);
    if (failed.get() > 0) {
      System.exit(1);
    }
  }

  /**
   * CLIENTS threads send requests back to back for SECONDS; a request that fails or throws counts
   * in {@code failed}. Returns the seconds it took.
   */
  static double load(int seconds, int clients, AtomicLong failed, Callable<Boolean> request)
      throws InterruptedException {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    CountDownLatch done = new CountDownLatch(clients);
    long start = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      started(() -> {
        try {
          while (System.nanoTime() < end) {
            try {
              if (!request.call()) {
                failed.incrementAndGet();
              }
            } catch (Exception e) {
              failed.incrementAndGet();
            }
          }
        } finally {
          done.countDown();
        }
      });
    }
    done.await();
    return (System.nanoTime() - start) / 1e9;
  }

  /** Creates noop jobs for SECONDS with CLIENTS clients; prints creates/s and create latency. */
  static void steady(String base, String token, int seconds, int clients) throws Exception {
    ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    AtomicLong failed = new AtomicLong();
    double secs = load(seconds, clients, failed, () -> {
      long t0 = System.nanoTime();
      HttpResponse<String> r = HTTP.send(post(base, token, "{\"type\":\"noop\"}"),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 201) {
        return false;
      }
      latencies.add(System.nanoTime() - t0);
      return true;
    });
    long[] l = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf("steady_created %d jobs%n", l.length);
    System.out.printf("steady_failed %d requests%n", failed.get());
    System.out.printf("steady_create_rate %.0f jobs/s%n", l.length / secs);
    System.out.printf("steady_create_p50 %.1f ms%n", l[l.length / 2] / 1e6);
    System.out.printf("steady_create_p99 %.1f ms%n", l[(int) (l.length * 0.99)] / 1e6);
  }

  /** REQUESTS sequential GETs of /api/v4/jobs?QUERY; prints p50/p99. */
  static void list(String base, String token, int requests, String query) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api/v4/jobs?" + query))
        .header("Authorization", "Bearer " + token).GET().build();
    for (int i = 0; i < 50; i++) {
      HTTP.send(req, HttpResponse.BodyHandlers.discarding());
    }
    long[] l = new long[requests];
    for (int i = 0; i < requests; i++) {
      long t0 = System.nanoTime();
      HttpResponse<byte[]> r = HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray());
      l[i] = System.nanoTime() - t0;
      if (r.statusCode() != 200) {
        throw new IllegalStateException("list " + r.statusCode());
      }
    }
    Arrays.sort(l);
    System.out.printf("list_p50[%s] %.2f ms%n", query, l[requests / 2] / 1e6);
    System.out.printf("list_p99[%s] %.2f ms%n", query, l[(int) (requests * 0.99)] / 1e6);
  }

  /**
   * GETs of PATH by CLIENTS clients for SECONDS; prints requests/s. The same load as steady, on a
   * request that does no database work: what the HTTP, JWT and JAX-RS path alone can serve here.
   */
  static void rate(String base, String token, int seconds, int clients, String path) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token).GET().build();
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    double secs = load(seconds, clients, failed, () -> {
      boolean success = HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray()).statusCode() == 200;
      if (success) {
        ok.incrementAndGet();
      }
      return success;
    });
    System.out.printf("rate[%s] %.0f requests/s%n", path, ok.get() / secs);
    System.out.printf("rate_failed[%s] %d requests%n", path, failed.get());
  }

  /**
   * GETs the PATHs in turn, one request at a time, REQUESTS times after 50 unmeasured; prints
   * NAME_p50 and NAME_p99. Several paths (e.g. cursors at different depths) keep one cached page
   * from standing for all.
   */
  static void get(String base, String token, int requests, String name, String[] paths) throws Exception {
    HttpRequest[] reqs = new HttpRequest[paths.length];
    for (int i = 0; i < paths.length; i++) {
      reqs[i] = HttpRequest.newBuilder(URI.create(base + paths[i]))
          .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token).GET().build();
    }
    for (int i = 0; i < 50; i++) {
      HTTP.send(reqs[i % reqs.length], HttpResponse.BodyHandlers.discarding());
    }
    long[] l = new long[requests];
    for (int i = 0; i < requests; i++) {
      HttpRequest req = reqs[i % reqs.length];
      long t0 = System.nanoTime();
      HttpResponse<byte[]> r = HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray());
      l[i] = System.nanoTime() - t0;
      if (r.statusCode() != 200) {
        throw new IllegalStateException(req.uri() + " " + r.statusCode() + " " + new String(r.body()));
      }
    }
    Arrays.sort(l);
    System.out.printf("%s_p50 %.2f ms%n", name, l[requests / 2] / 1e6);
    System.out.printf("%s_p99 %.2f ms%n", name, l[(int) (requests * 0.99)] / 1e6);
  }

  // ---- remote workers: the worker protocol (docs/remote-workers.md) -----------------------------

  static final Pattern CLAIMED = Pattern.compile("\"id\":\"([^\"]+)\".*?\"lease_token\":(\\d+)");

  static HttpRequest workerPost(String base, String token, String path, String body, int timeoutSeconds) {
    return HttpRequest.newBuilder(URI.create(base + "/api/jobserver/v1" + path))
        .timeout(Duration.ofSeconds(timeoutSeconds))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  static String claimBody(String worker, String type, int max, int waitSeconds) {
    return "{\"worker\":\"" + worker + "\",\"types\":[\"" + type + "\"],\"max\":" + max
        + ",\"lease_seconds\":300,\"wait_seconds\":" + waitSeconds + "}";
  }

  /** The claimed jobs of a claim's answer: id and lease token (the bench's jobs have no data). */
  static List<String[]> claimed(String body) {
    List<String[]> jobs = new ArrayList<>();
    Matcher m = CLAIMED.matcher(body);
    while (m.find()) {
      jobs.add(new String[] {m.group(1), m.group(2)});
    }
    return jobs;
  }

  static void complete(String base, String token, String id, String leaseToken) throws Exception {
    HttpResponse<String> r = HTTP.send(
        workerPost(base, token, "/jobs/" + id + "/complete", "{\"lease_token\":" + leaseToken + "}", 30),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("complete " + id + ": " + r.statusCode() + " " + r.body());
    }
  }

  /**
   * CLIENTS workers drain JOBS queued jobs of the remote TYPE: each claims up to MAX at a time
   * (wait_seconds 1) and completes them one call per job, as a worker does; prints jobs/s from the
   * first claim to the last complete, and the latency of claims and completes.
   */
  static void remote(String base, String token, String type, int jobs, int clients, int max) throws Exception {
    AtomicInteger done = new AtomicInteger();
    AtomicInteger claimedTotal = new AtomicInteger();
    ConcurrentLinkedQueue<Long> claims = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Long> completes = new ConcurrentLinkedQueue<>();
    AtomicLong failed = new AtomicLong();
    long start = System.nanoTime();
    AtomicLong last = new AtomicLong(start);
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      String worker = "bench-" + c;
      threads.add(started(() -> {
        try {
          while (done.get() < jobs) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = HTTP.send(workerPost(base, token, "/workers/claims",
                claimBody(worker, type, max, 1), 30), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 204) {
              continue;
            }
            if (r.statusCode() != 200) {
              throw new IllegalStateException("claim " + r.statusCode() + " " + r.body());
            }
            claims.add(System.nanoTime() - t0);
            List<String[]> got = claimed(r.body());
            claimedTotal.addAndGet(got.size());
            for (String[] j : got) {
              long t1 = System.nanoTime();
              complete(base, token, j[0], j[1]);
              long t2 = System.nanoTime();
              completes.add(t2 - t1);
              done.incrementAndGet();
              last.accumulateAndGet(t2, Math::max);
            }
          }
        } catch (Exception e) {
          failed.incrementAndGet();
          System.err.println("remote worker failed: " + e);
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    double seconds = (last.get() - start) / 1e9;
    long[] cl = claims.stream().mapToLong(Long::longValue).sorted().toArray();
    long[] co = completes.stream().mapToLong(Long::longValue).sorted().toArray();
    System.out.printf("remote_completed %d jobs%n", done.get());
    System.out.printf("remote_claims %d requests (%.1f jobs per claim)%n", cl.length, claimedTotal.get() / (double) Math.max(1, cl.length));
    System.out.printf("remote_client_rate %.0f jobs/s%n", done.get() / seconds);
    System.out.printf("remote_claim_p50 %.1f ms%n", cl[cl.length / 2] / 1e6);
    System.out.printf("remote_claim_p99 %.1f ms%n", cl[(int) (cl.length * 0.99)] / 1e6);
    System.out.printf("remote_complete_p50 %.1f ms%n", co[co.length / 2] / 1e6);
    System.out.printf("remote_complete_p99 %.1f ms%n", co[(int) (co.length * 0.99)] / 1e6);
    if (failed.get() > 0 || done.get() < jobs) {
      System.exit(1);
    }
  }

  /**
   * COUNT times: a worker waits in a claim (wait_seconds 30) on CLAIM_URL; 100-350 ms later (the
   * claim is waiting, at any phase of the server's poll) a job of TYPE is created on CREATE_URL;
   * the time from the create's 201 to the claim's 200 is measured (0 when the claim answered
   * first). The job is then completed. Prints NAME_p50, NAME_p99 and NAME_max.
   */
  static void wake(String createBase, String claimBase, String token, String type, int count, String name)
      throws Exception {
    long[] l = new long[count];
    int first = 0;
    for (int i = 0; i < count; i++) {
      AtomicLong answeredAt = new AtomicLong();
      CompletableFuture<HttpResponse<String>> claim = HTTP.sendAsync(
          workerPost(claimBase, token, "/workers/claims", claimBody("waiter", type, 1, 30), 60),
          HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            answeredAt.set(System.nanoTime());
            return r;
          });
      Thread.sleep(ThreadLocalRandom.current().nextInt(100, 350));
      HttpResponse<String> created = HTTP.send(post(createBase, token, "{\"type\":\"" + type + "\"}"),
          HttpResponse.BodyHandlers.ofString());
      long createdAt = System.nanoTime();
      if (created.statusCode() != 201) {
        throw new IllegalStateException("create " + created.statusCode() + " " + created.body());
      }
      HttpResponse<String> r = claim.get();
      if (r.statusCode() != 200) {
        throw new IllegalStateException("claim " + r.statusCode() + " " + r.body());
      }
      if (answeredAt.get() < createdAt) {
        first++;
      }
      l[i] = Math.max(0, answeredAt.get() - createdAt);
      for (String[] j : claimed(r.body())) {
        complete(claimBase, token, j[0], j[1]);
      }
    }
    Arrays.sort(l);
    System.out.printf("%s_p50 %.1f ms%n", name, l[count / 2] / 1e6);
    System.out.printf("%s_p99 %.1f ms%n", name, l[(int) (count * 0.99)] / 1e6);
    System.out.printf("%s_max %.1f ms%n", name, l[count - 1] / 1e6);
    System.out.printf("%s_answered_before_201 %d of %d%n", name, first, count);
  }
}
