package dev.jobserver.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Payara Micro's console output line by line: whether it says it is ready, and a short
 * summary of every SEVERE record (its first line and its root cause) for the terminal, where the
 * whole log does not go.
 *
 * <p>Records come in Payara's ODL format, {@code [time] [] [LEVEL] [] [logger] [tid: ...]
 * [timeMillis: ...] [levelValue: ...] message}, where a message of several lines is wrapped in
 * {@code [[ ... ]]}; before Payara's logging is set up, the JVM's simple format is used ({@code
 * <date> <class> <method>} then {@code LEVEL: message}).
 */
final class ServerOutput {
  private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*[A-Za-z]");
  private static final Pattern ODL =
      Pattern.compile(
          "^\\[\\d{4}-\\d\\d-\\d\\dT[^\\]]*\\] \\[[^\\]]*\\] \\[([A-Z]+)\\] \\[[^\\]]*\\]"
              + " \\[([^\\]]*)\\].*?\\[levelValue: \\d+\\] ?(.*)$");
  private static final Pattern SIMPLE =
      Pattern.compile("^(SEVERE|WARNING|INFO|CONFIG|FINE): (.*)$");
  private static final Pattern THROWN =
      Pattern.compile("^([a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(Exception|Error)(:|$)");
  private static final Pattern READY = Pattern.compile("Payara Micro .* ready in ");

  private final Consumer<String> severe;
  private boolean ready;
  private Record current;

  /** {@code severe} receives the summary of each SEVERE record once it is complete. */
  ServerOutput(Consumer<String> severe) {
    this.severe = severe;
  }

  /** The line without terminal colour codes, as it goes to the log file. */
  static String plain(String line) {
    return line.indexOf('\u001B') < 0 ? line : ANSI.matcher(line).replaceAll("");
  }

  /** Takes one plain line of output. */
  void accept(String line) {
    Matcher odl = ODL.matcher(line);
    Matcher simple = SIMPLE.matcher(line);
    if (odl.matches()) {
      finish();
      current = new Record(odl.group(1), odl.group(2));
      String rest = odl.group(3);
      if (!rest.startsWith("[[")) {
        current.add(rest);
        finish(); // a one-line record: reported at once, not when the next one comes
      }
    } else if (simple.matches()) {
      finish();
      current = new Record(simple.group(1), "");
      current.add(simple.group(2));
    } else if (current != null) {
      if (line.endsWith("]]")) {
        current.add(line.substring(0, line.length() - 2));
        finish();
      } else {
        current.add(line);
      }
    }
    if (READY.matcher(line).find()) {
      ready = true;
    }
  }

  /** Ends the record in progress (at the end of the output). */
  void finish() {
    if (current != null && current.level.equals("SEVERE")) {
      severe.accept(current.summary());
    }
    current = null;
  }

  boolean ready() {
    return ready;
  }

  private static final class Record {
    final String level;
    final String logger;
    final List<String> lines = new ArrayList<>();

    Record(String level, String logger) {
      this.level = level;
      this.logger = logger;
    }

    void add(String line) {
      if (lines.size() < 2000) {
        lines.add(line);
      }
    }

    /**
     * The first line of the message with its logger; EclipseLink's "Internal Exception" line; and
     * the innermost "Caused by", which is where a stack trace says what actually went wrong.
     */
    String summary() {
      String first = "";
      String thrown = null;
      String internal = null;
      String cause = null;
      for (String l : lines) {
        String t = l.trim();
        if (first.isEmpty() && !t.isEmpty() && !t.equals("Local Exception Stack:")) {
          first = t;
        } else if (thrown == null
            && internal == null
            && cause == null
            && THROWN.matcher(t).find()) {
          thrown = t; // the exception logged with the message ("Address already in use")
        } else if (internal == null && t.startsWith("Internal Exception: ")) {
          internal = t;
        }
        if (t.startsWith("Caused by: ")) {
          cause = t.substring("Caused by: ".length());
        }
      }
      StringBuilder s = new StringBuilder(shorten(first));
      if (!logger.isEmpty()) {
        s.append("  [")
            .append(logger.length() <= 80 ? logger : logger.substring(0, 80) + "...")
            .append(']');
      }
      if (thrown != null) {
        s.append("\n    ").append(shorten(thrown));
      }
      if (internal != null) {
        s.append("\n    ").append(shorten(internal));
      }
      if (cause != null
          && !first.contains(cause)
          && (thrown == null || !thrown.contains(cause))
          && (internal == null || !internal.contains(cause))) {
        s.append("\n    cause: ").append(shorten(cause));
      }
      return s.toString();
    }

    private static String shorten(String s) {
      return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }
  }
}
