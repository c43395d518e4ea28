package dev.jobserver.handlers.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver code of docs/http-jobs.md, in Java, Python and Node, run as written against
 * signatures this server's code makes: what the docs tell a receiver to do works. Python and Node
 * are skipped where they are not installed.
 */
class HttpSignatureSnippetsTest {

  private static final Path DOC = Path.of("docs", "http-jobs.md");
  private static final String NOW_KEY = "receiver-test-key-now";
  private static final String OLD_KEY = "receiver-test-key-old";

  private static final List<String> CASES = new ArrayList<>();
  private static final List<String> EXPECTED = new ArrayList<>();

  @TempDir Path dir;

  @BeforeAll
  static void cases() {
    long now = Instant.now().getEpochSecond();
    byte[] body = "{\"order\":42,\"name\":\"Zo\u00eb\"}".getBytes(StandardCharsets.UTF_8);
    String both = HttpSignature.header(List.of(NOW_KEY, OLD_KEY), now, body);
    String currentOnly = HttpSignature.header(List.of(NOW_KEY), now, body);
    String empty = HttpSignature.header(List.of(NOW_KEY), now, new byte[0]);
    String stale = HttpSignature.header(List.of(NOW_KEY), now - 1_000, body);
    add(both, body, NOW_KEY, true); // the receiver knows the new key
    add(both, body, OLD_KEY, true); // or still only the old one, during a rotation
    add(currentOnly, body, OLD_KEY + "," + NOW_KEY, true);
    add(currentOnly, body, "another-key", false);
    add(
        both,
        "{\"order\":43,\"name\":\"Zo\u00eb\"}".getBytes(StandardCharsets.UTF_8),
        NOW_KEY,
        false);
    add(empty, new byte[0], NOW_KEY, true);
    add(stale, body, NOW_KEY, false); // 1000 s old: a replay
    add("t=" + now + ",v1=zz", body, NOW_KEY, false);
    add("v1=" + HttpSignature.hmacHex(NOW_KEY, now, body), body, NOW_KEY, false); // no t
  }

  private static void add(String header, byte[] body, String keys, boolean valid) {
    CASES.add(header + "\t" + HexFormat.of().formatHex(body) + "\t" + keys);
    EXPECTED.add(Boolean.toString(valid));
  }

  private static String snippet(String language) throws IOException {
    Matcher m =
        Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL)
            .matcher(Files.readString(DOC));
    while (m.find()) {
      if (m.group(1).contains("verify(")) {
        return m.group(1);
      }
    }
    throw new AssertionError("no " + language + " verify snippet in " + DOC);
  }

  private List<String> run(List<String> command) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException notInstalled) {
      Assumptions.abort(command.get(0) + " is not installed: " + notInstalled.getMessage());
      return List.of();
    }
    p.getOutputStream()
        .write(String.join("\n", CASES).concat("\n").getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "still running");
    assertEquals(0, p.exitValue(), out);
    return out.lines().toList();
  }

  @Test
  void thePythonSnippetVerifies() throws Exception {
    Path file = dir.resolve("verify.py");
    Files.writeString(
        file,
        snippet("python")
            + "\nimport sys\n"
            + "for line in sys.stdin.read().splitlines():\n"
            + "    h, b, k = line.split(\"\\t\")\n"
            + "    print(\"true\" if verify(h, bytes.fromhex(b), k.split(\",\")) else \"false\")\n");
    assertEquals(EXPECTED, run(List.of("python3", file.toString())));
  }

  @Test
  void theNodeSnippetVerifies() throws Exception {
    Path file = dir.resolve("verify.js");
    Files.writeString(
        file,
        snippet("js")
            + "\nconst lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);\n"
            + "for (const line of lines) {\n"
            + "  const [h, b, k] = line.split('\\t');\n"
            + "  console.log(verify(h, Buffer.from(b, 'hex'), k.split(',')) ? 'true' : 'false');\n"
            + "}\n");
    assertEquals(EXPECTED, run(List.of("node", file.toString())));
  }

  @Test
  void theJavaSnippetVerifies() throws Exception {
    Path file = dir.resolve("Verify.java");
    Files.writeString(
        file,
        "import java.io.*;\nimport java.nio.charset.StandardCharsets;\nimport java.security.*;\n"
            + "import java.time.Instant;\nimport java.util.*;\nimport javax.crypto.Mac;\n"
            + "import javax.crypto.spec.SecretKeySpec;\n"
            + "public class Verify {\n"
            + snippet("java")
            + "  public static void main(String[] a) throws Exception {\n"
            + "    BufferedReader r = new BufferedReader(new InputStreamReader(System.in));\n"
            + "    for (String line; (line = r.readLine()) != null; ) {\n"
            + "      String[] p = line.split(\"\\t\", -1);\n"
            + "      System.out.println(verify(p[0], HexFormat.of().parseHex(p[1]),"
            + " List.of(p[2].split(\",\")), 300));\n"
            + "    }\n"
            + "  }\n"
            + "}\n");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    assertEquals(EXPECTED, run(List.of(java, file.toString())));
  }
}
