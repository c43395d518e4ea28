package dev.jobserver.api.jobserver;

import static dev.jobserver.api.jobserver.NativeParams.bad;

import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of {@code POST /jobs}, checked field by field; every 400 names the field.
 *
 * @param runAt epoch ms before which the job is not started, or null
 * @param maxAttempts the most runs the job may take, or null for its type's setting
 */
record CreateRequest(
    String type, Map<String, String> data, int priority, Long runAt, Integer maxAttempts) {

  static final int MAX_PRIORITY = 1_000_000;
  static final int MAX_ATTEMPTS = 100;

  static CreateRequest of(JsonObject body) {
    JsonValue type = body.get("type");
    if (type == null || type.getValueType() != JsonValue.ValueType.STRING) {
      throw bad("type: required, the name of a registered job type");
    }
    return new CreateRequest(
        ((JsonString) type).getString(),
        data(body.get("data")),
        (int) integer("priority", body.get("priority"), -MAX_PRIORITY, MAX_PRIORITY, 0),
        runAt(body.get("run_at")),
        isAbsent(body.get("max_attempts"))
            ? null
            : (int) integer("max_attempts", body.get("max_attempts"), 1, MAX_ATTEMPTS, 1));
  }

  /** Dependencies come with another change; until then a request that has some is refused. */
  static void refuseDependencies(JsonObject body) {
    JsonValue deps = body.get("depends_on");
    if (isAbsent(deps)
        || (deps.getValueType() == JsonValue.ValueType.ARRAY && deps.asJsonArray().isEmpty())) {
      return;
    }
    throw bad("depends_on: not supported yet");
  }

  private static Map<String, String> data(JsonValue value) {
    Map<String, String> data = new LinkedHashMap<>();
    if (isAbsent(value)) {
      return data;
    }
    if (value.getValueType() != JsonValue.ValueType.OBJECT) {
      throw bad("data: must be an object of string values");
    }
    for (Map.Entry<String, JsonValue> e : value.asJsonObject().entrySet()) {
      if (e.getValue().getValueType() != JsonValue.ValueType.STRING) {
        throw bad("data." + e.getKey() + ": must be a string");
      }
      data.put(e.getKey(), ((JsonString) e.getValue()).getString());
    }
    return data;
  }

  /**
   * A whole number within [min, max], judged on its exact decimal value: a number with more digits
   * than a long holds is out of range, never wrapped into it.
   */
  static long integer(String name, JsonValue value, long min, long max, long fallback) {
    if (isAbsent(value)) {
      return fallback;
    }
    String must = name + ": must be a whole number from " + min + " to " + max;
    if (value.getValueType() != JsonValue.ValueType.NUMBER) {
      throw bad(must);
    }
    BigDecimal n = ((JsonNumber) value).bigDecimalValue();
    if (n.compareTo(BigDecimal.valueOf(min)) < 0 || n.compareTo(BigDecimal.valueOf(max)) > 0) {
      throw bad(must + ", got " + NativeParams.quote(n));
    }
    if (n.signum() != 0 && n.stripTrailingZeros().scale() > 0) {
      throw bad(must + ", got " + NativeParams.quote(n));
    }
    return n.longValue();
  }

  private static Long runAt(JsonValue value) {
    if (isAbsent(value)) {
      return null;
    }
    if (value.getValueType() == JsonValue.ValueType.STRING) {
      return NativeTimes.parse("run_at", ((JsonString) value).getString());
    }
    if (value.getValueType() == JsonValue.ValueType.NUMBER) {
      long millis = integer("run_at", value, 0, NativeTimes.MAX_MILLIS, 0);
      return NativeTimes.inRange("run_at", value, millis);
    }
    throw NativeTimes.bad("run_at", value);
  }

  private static boolean isAbsent(JsonValue value) {
    return value == null || value.getValueType() == JsonValue.ValueType.NULL;
  }
}
