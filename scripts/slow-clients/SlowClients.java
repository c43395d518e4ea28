import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The clients of scripts/slow-clients-test.sh, run with {@code java SlowClients.java}:
 *
 * <pre>
 * stall HOST PORT TOKEN SECONDS COUNT:PATH...   opens COUNT connections per PATH, sends each GET
 *                                               and never reads; closes them after SECONDS
 * read BASE TOKEN PATH CONCURRENCY ROUNDS JOBS  reads PATH fully, CONCURRENCY at once, ROUNDS
 *                                               times: each answer must be 200 and a whole JSON
 *                                               array of JOBS jobs; exits 1 if one is not
 * </pre>
 */
public class SlowClients {

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "stall" -> stall(args);
      case "read" -> System.exit(read(args) ? 0 : 1);
      default -> throw new IllegalArgumentException("stall or read, not " + args[0]);
    }
  }

  static void stall(String[] args) throws Exception {
    String host = args[1];
    int port = Integer.parseInt(args[2]);
    String token = args[3];
    long seconds = Long.parseLong(args[4]);
    List<Socket> sockets = new ArrayList<>();
    for (int a = 5; a < args.length; a++) {
      int colon = args[a].indexOf(':');
      int count = Integer.parseInt(args[a].substring(0, colon));
      String path = args[a].substring(colon + 1);
      byte[] request =
          ("GET "
                  + path
                  + " HTTP/1.1\r\nHost: "
                  + host
                  + "\r\nAuthorization: Bearer "
                  + token
                  + "\r\nAccept: */*\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < count; i++) {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096); // a small window: the server's writes stall at once
        s.connect(new InetSocketAddress(host, port), 10_000);
        OutputStream out = s.getOutputStream();
        out.write(request);
        out.flush();
        sockets.add(s); // never read
      }
    }
    System.out.println("stalled " + sockets.size() + " clients");
    System.out.flush();
    Thread.sleep(seconds * 1000);
    for (Socket s : sockets) {
      s.close();
    }
  }

  static boolean read(String[] args) throws Exception {
    String url = args[1] + args[3];
    String token = args[2];
    int concurrency = Integer.parseInt(args[4]);
    int rounds = Integer.parseInt(args[5]);
    int jobs = Integer.parseInt(args[6]);
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    boolean ok = true;
    for (int round = 1; round <= rounds; round++) {
      long start = System.nanoTime();
      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < concurrency; i++) {
        answers.add(pool.submit(() -> readOnce(url, token, jobs)));
      }
      int good = 0;
      long bytes = 0;
      for (Future<String> f : answers) {
        String r = f.get();
        if (r.startsWith("ok ")) {
          good++;
          bytes += Long.parseLong(r.substring(3));
        } else {
          System.out.println("  " + r);
          ok = false;
        }
      }
      System.out.printf(
          "round %d: %d of %d complete answers, %d MiB in %.1f s%n",
          round, good, concurrency, bytes >> 20, (System.nanoTime() - start) / 1e9);
    }
    pool.shutdown();
    return ok;
  }

  /**
   * Reads one answer to its end, without keeping it: "ok BYTES" if it is 200 and a JSON array of
   * the expected number of jobs (counted by their "id" keys), else what was wrong.
   */
  static String readOnce(String url, String token, int jobs) {
    try {
      HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
      c.setRequestProperty("Authorization", "Bearer " + token);
      c.setConnectTimeout(10_000);
      c.setReadTimeout(120_000);
      int status = c.getResponseCode();
      if (status != 200) {
        return "status " + status;
      }
      byte[] key = "{\"id\":\"".getBytes(StandardCharsets.US_ASCII);
      int matched = 0;
      int ids = 0;
      long bytes = 0;
      int first = -1;
      int last = -1;
      byte[] buf = new byte[65536];
      try (InputStream in = c.getInputStream()) {
        for (int n; (n = in.read(buf)) > 0; ) {
          for (int i = 0; i < n; i++) {
            byte b = buf[i];
            if (first < 0) {
              first = b;
            }
            last = b;
            matched = b == key[matched] ? matched + 1 : (b == key[0] ? 1 : 0);
            if (matched == key.length) {
              ids++;
              matched = 0;
            }
          }
          bytes += n;
        }
      }
      if (first != '[' || last != ']') {
        return "not a whole JSON array (" + bytes + " bytes)";
      }
      if (ids != jobs) {
        return ids + " jobs instead of " + jobs + " (" + bytes + " bytes)";
      }
      return "ok " + bytes;
    } catch (Exception e) {
      return "failed: " + e;
    }
  }
}
