package dev.jobserver.common;

import java.util.Locale;
import java.util.function.UnaryOperator;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Jobserver's settings, each named as an environment variable ({@code JOBSERVER_WORKERS}) and read
 * through MicroProfile Config under its dotted name ({@code jobserver.workers}): in the server a
 * system property, an environment variable, a Payara Server domain's {@code set-config-property} or
 * a {@code microprofile-config.properties} entry all work, with MicroProfile Config's precedence
 * (system property 400, environment 300, Payara's domain-level sources 110 to 160, the WAR's file
 * 100). Outside a server (the launcher that {@code mvn -Prun} runs, unit tests) there is no
 * MicroProfile Config implementation: there a system property of the dotted name wins over the
 * environment variable, as before.
 */
public final class Settings {

  private Settings() {}

  /** Where values come from: MicroProfile Config when the server has it. Set by tests. */
  private static volatile UnaryOperator<String> source;

  /**
   * The setting's value, trimmed, or null when it is absent or blank.
   *
   * @param envName the setting's environment name, e.g. {@code JOBSERVER_WORKERS}
   */
  public static String get(String envName) {
    String value = source().apply(key(envName));
    return value == null || value.isBlank() ? null : value.trim();
  }

  /** The setting's value, or {@code fallback} when it is absent or blank. */
  public static String get(String envName, String fallback) {
    String value = get(envName);
    return value == null ? fallback : value;
  }

  /** A whole number from min to max; refused, naming the setting both ways, when it is not. */
  public static long number(String envName, long fallback, long min, long max) {
    return WholeNumbers.parse(get(envName), fallback, min, max, describe(envName));
  }

  /**
   * The MicroProfile Config name of an environment name: {@code JOBSERVER_DB_URL} → {@code
   * jobserver.db.url}.
   */
  public static String key(String envName) {
    return envName.toLowerCase(Locale.ROOT).replace('_', '.');
  }

  /** How a message names the setting: {@code JOBSERVER_WORKERS [jobserver.workers]}. */
  public static String describe(String envName) {
    return envName + " [" + key(envName) + "]";
  }

  /** Reads values from {@code values} (by dotted name) instead, until {@link #reset()}: tests. */
  public static void useForTests(UnaryOperator<String> values) {
    source = values;
  }

  /** Back to MicroProfile Config, or the environment outside a server. */
  public static void reset() {
    source = null;
  }

  /** Outside a server: the system property of the dotted name, else the environment variable. */
  private static String outsideServer(String key) {
    String property = System.getProperty(key);
    if (property != null && !property.isBlank()) {
      return property;
    }
    return System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_'));
  }

  private static UnaryOperator<String> source() {
    UnaryOperator<String> s = source;
    if (s == null) {
      s = MpConfig.available() ? MpConfig::value : Settings::outsideServer;
      source = s;
    }
    return s;
  }

  /** Kept apart so that a JVM without the MicroProfile Config API never loads it. */
  private static final class MpConfig {
    static boolean available() {
      try {
        ConfigProvider.getConfig();
        return true;
      } catch (LinkageError | RuntimeException noImplementation) {
        return false; // the launcher, unit tests: no MicroProfile Config implementation
      }
    }

    static String value(String key) {
      return ConfigProvider.getConfig().getOptionalValue(key, String.class).orElse(null);
    }
  }
}
