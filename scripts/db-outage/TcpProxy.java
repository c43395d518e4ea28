import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy in front of the database for scripts/db-outage-test.sh, one file, run with the JDK's
 * source launcher:
 *
 * <pre>
 *   java TcpProxy.java LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT MODE_FILE
 * </pre>
 *
 * It reads MODE_FILE every 50 ms: {@code open} passes everything; {@code down} closes every
 * connection and refuses new ones (the database is down or cut off with resets); {@code frozen}
 * keeps connections but passes no byte either way and accepts new ones without answering (a network
 * partition). A missing or unreadable file means open. Listens on loopback only.
 */
public class TcpProxy {

  enum Mode {
    OPEN,
    DOWN,
    FROZEN
  }

  private static volatile Mode mode = Mode.OPEN;
  private static final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

  public static void main(String[] args) throws Exception {
    int listen = Integer.parseInt(args[0]);
    String host = args[1];
    int port = Integer.parseInt(args[2]);
    Path modeFile = Path.of(args[3]);
    ServerSocket server = new ServerSocket(listen, 200, InetAddress.getLoopbackAddress());
    Thread watcher = new Thread(() -> watch(modeFile), "mode");
    watcher.setDaemon(true);
    watcher.start();
    System.out.println("proxy on 127.0.0.1:" + listen + " -> " + host + ":" + port);
    while (true) {
      Socket client = server.accept();
      if (mode == Mode.DOWN) {
        close(client);
        continue;
      }
      try {
        Socket upstream = new Socket(host, port);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        close(client);
      }
    }
  }

  private static void watch(Path file) {
    while (true) {
      Mode next;
      try {
        next = Mode.valueOf(Files.readString(file).trim().toUpperCase());
      } catch (Exception e) {
        next = Mode.OPEN;
      }
      if (next != mode) {
        mode = next;
        System.out.println(System.currentTimeMillis() + " mode " + next);
        if (next == Mode.DOWN) {
          sockets.forEach(TcpProxy::close);
          sockets.clear();
        }
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static void pump(Socket from, Socket to) throws IOException {
    InputStream in = from.getInputStream();
    OutputStream out = to.getOutputStream();
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[32 * 1024];
              try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  while (mode == Mode.FROZEN) {
                    Thread.sleep(20);
                  }
                  if (mode == Mode.DOWN) {
                    break;
                  }
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // the connection ends
              } finally {
                close(from);
                close(to);
                sockets.remove(from);
                sockets.remove(to);
              }
            },
            "pump");
    t.setDaemon(true);
    t.start();
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
