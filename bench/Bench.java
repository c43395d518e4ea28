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
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load and measurement for Jobserver, one file, run with the JDK's source launcher:
 *
 * <pre>
 *   java Bench.java create  BASE_URL TOKEN COUNT CLIENTS TYPE DATA_JSON
 *   java Bench.java steady  BASE_URL TOKEN SECONDS CLIENTS
 *   java Bench.java list    BASE_URL TOKEN REQUESTS QUERY
 *   java Bench.java rate    BASE_URL TOKEN SECONDS CLIENTS PATH
 *   java Bench.java get     BASE_URL TOKEN REQUESTS NAME PATH [PATH...]
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
      default -> throw new IllegalArgumentException("create | steady | list | rate | get");
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
}
