package dev.jobserver.it;

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
 * A TCP proxy in front of the database that a test controls, so that a server under test can lose
 * its database and get it back: {@link #freeze()} passes no more bytes either way (a database that
 * does not answer, as behind a network partition), {@link #drop()} closes every connection and
 * refuses new ones (a database that is down), {@link #open()} lets everything through again.
 *
 * <p>{@code scripts/db-outage-test.sh} runs this same file as a program, with the JDK's source
 * launcher (no test classpath there), and steers it through a file:
 *
 * <pre>
 *   java src/test/java/dev/jobserver/it/DbProxy.java LISTEN_PORT DB_HOST DB_PORT MODE_FILE
 * </pre>
 *
 * It reads MODE_FILE every 50 ms: {@code open}, {@code down} or {@code frozen} as above; a missing
 * or unreadable file means open.
 */
final class DbProxy implements AutoCloseable {

  enum Mode {
    OPEN,
    FROZEN,
    DOWN
  }

  private final String host;
  private final int port;
  private final ServerSocket server;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Object gate = new Object();
  private volatile Mode mode = Mode.OPEN;
  private volatile boolean closed;

  DbProxy(String host, int port) throws IOException {
    this(0, host, port);
  }

  /** Listens on this loopback port (0: any free one) for connections to host:port. */
  DbProxy(int listen, String host, int port) throws IOException {
    this.host = host;
    this.port = port;
    this.server = new ServerSocket(listen, 200, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "db-proxy-accept");
    accept.setDaemon(true);
    accept.start();
  }

  public static void main(String[] args) throws Exception {
    DbProxy proxy = new DbProxy(Integer.parseInt(args[0]), args[1], Integer.parseInt(args[2]));
    Path modeFile = Path.of(args[3]);
    System.out.println("proxy on 127.0.0.1:" + proxy.port() + " -> " + args[1] + ":" + args[2]);
    Mode current = Mode.OPEN;
    while (true) {
      Mode next;
      try {
        next = Mode.valueOf(Files.readString(modeFile).trim().toUpperCase());
      } catch (IOException | IllegalArgumentException e) {
        next = Mode.OPEN;
      }
      if (next != current) {
        switch (next) {
          case OPEN -> proxy.open();
          case FROZEN -> proxy.freeze();
          case DOWN -> proxy.drop();
        }
        current = next;
        System.out.println(System.currentTimeMillis() + " mode " + next);
      }
      Thread.sleep(50);
    }
  }

  /** The port the proxy listens on (loopback). */
  int port() {
    return server.getLocalPort();
  }

  void freeze() {
    mode = Mode.FROZEN;
  }

  void drop() {
    mode = Mode.DOWN;
    for (Socket s : sockets) {
      closeQuietly(s);
    }
  }

  void open() {
    synchronized (gate) {
      mode = Mode.OPEN;
      gate.notifyAll();
    }
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      if (mode == Mode.DOWN) {
        closeQuietly(client);
        continue;
      }
      try {
        Socket upstream = new Socket(host, port);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void pump(Socket from, Socket to) throws IOException {
    InputStream in = from.getInputStream();
    OutputStream out = to.getOutputStream();
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  awaitPassable();
                  if (mode == Mode.DOWN) {
                    break;
                  }
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // the connection ends
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
              }
            },
            "db-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  /** Holds bytes while frozen. */
  private void awaitPassable() throws InterruptedException {
    synchronized (gate) {
      while (mode == Mode.FROZEN && !closed) {
        gate.wait(100);
      }
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    open();
    server.close();
    for (Socket s : sockets) {
      closeQuietly(s);
    }
  }
}
