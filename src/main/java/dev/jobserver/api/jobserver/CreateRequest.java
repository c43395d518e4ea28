package dev.jobserver.api.jobserver;

import static dev.jobserver.api.jobserver.NativeParams.bad;

import dev.jobserver.api.common.Bodies;
import dev.jobserver.job.JobIds;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The body of {@code POST /jobs}, checked field by field; every 400 names the field.
 *
 * @param runAt epoch ms before which the job is not started, or null
 * @param maxAttempts the most runs the job may take, or null for its type's setting
 * @param dependsOn ids of the jobs it waits for, without repeats (empty: none)
 */
record CreateRequest(
    String type,
    Map<String, String> data,
    int priority,
    Long runAt,
    Integer maxAttempts,
    List<String> dependsOn) {

  /** Most jobs one job may depend on. */
  static final int MAX_DEPENDENCIES = 100;

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
            : (int) integer("max_attempts", body.get("max_attempts"), 1, MAX_ATTEMPTS, 1),
        dependsOn(body.get("depends_on")));
  }

  /** The ids in {@code depends_on}: up to 100 job ids, without repeats; empty when absent. */
  private static List<String> dependsOn(JsonValue value) {
    if (isAbsent(value)) {
      return List.of();
    }
    if (value.getValueType() != JsonValue.ValueType.ARRAY) {
      throw bad("depends_on: must be an array of job ids");
    }
    Set<String> ids = new LinkedHashSet<>();
    for (JsonValue item : value.asJsonArray()) {
      if (item.getValueType() != JsonValue.ValueType.STRING
          || !JobIds.isValid(((JsonString) item).getString())) {
        throw bad("depends_on: " + NativeParams.quote(item) + " is not a job id");
      }
      ids.add(((JsonString) item).getString());
    }
    if (ids.size() > MAX_DEPENDENCIES) {
      throw bad("depends_on: at most " + MAX_DEPENDENCIES + " jobs, got " + ids.size());
    }
    return new ArrayList<>(ids);
  }

  private static Map<String, String> data(JsonValue value) {
    Map<String, String> data = new LinkedHashMap<>();
    if (isAbsent(value)) {
      return data;
    }
    if (value.getValueType() != JsonValue.ValueType.OBJECT) {
      throw bad("data: must be an object of string values");
    }
    return Bodies.stringMap(value.asJsonObject(), (field, problem) -> bad(field + ": " + problem));
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
