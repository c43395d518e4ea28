package dev.jobserver.job;

import java.security.SecureRandom;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The two id forms a job can have: Mattermost's 26-char ids and Taipy's JOB_/TASK_ ids. */
public final class JobIds {

  /** Mattermost's base32 alphabet (model.NewId). */
  private static final char[] ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769".toCharArray();

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern MATTERMOST = Pattern.compile("[a-z0-9]{26}");
  private static final String UUID4 =
      "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
  private static final Pattern TAIPY_JOB = Pattern.compile("JOB_(" + JobTypes.NAME + ")_" + UUID4);
  private static final Pattern TAIPY_TASK =
      Pattern.compile("TASK_(" + JobTypes.NAME + ")_" + UUID4);

  private JobIds() {}

  /** A new Mattermost id: 16 random bytes in base32, 26 characters. */
  public static String newMattermostId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    StringBuilder out = new StringBuilder(26);
    int buffer = 0;
    int bits = 0;
    for (byte b : bytes) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(ALPHABET[(buffer >> (bits - 5)) & 31]);
        bits -= 5;
      }
    }
    if (bits > 0) {
      out.append(ALPHABET[(buffer << (5 - bits)) & 31]);
    }
    return out.toString();
  }

  /** A new Taipy job id for a task config (job type). */
  public static String newTaipyId(String type) {
    return "JOB_" + type + "_" + UUID.randomUUID();
  }

  /** The one stable Taipy task id of a config: a name-based UUID, the same on every instance. */
  public static String taipyTaskId(String type) {
    return "TASK_" + type + "_" + uuid4From("jobserver-task:" + type);
  }

  /** Taipy task ids are uuid4-shaped; derive one deterministically from a name. */
  static UUID uuid4From(String name) {
    UUID v3 = UUID.nameUUIDFromBytes(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    long msb = (v3.getMostSignificantBits() & ~0xF000L) | 0x4000L;
    return new UUID(msb, v3.getLeastSignificantBits());
  }

  public static boolean isValid(String id) {
    return id != null && (MATTERMOST.matcher(id).matches() || TAIPY_JOB.matcher(id).matches());
  }

  /** The config (job type) named in a TASK_<config>_<uuid> id, if it is one. */
  public static Optional<String> typeOfTaskId(String taskId) {
    if (taskId == null) {
      return Optional.empty();
    }
    Matcher m = TAIPY_TASK.matcher(taskId);
    return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
  }
}
