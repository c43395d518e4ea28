package dev.jobserver.api.mattermost;

import static dev.jobserver.api.mattermost.MattermostErrors.invalidBodyParam;

import dev.jobserver.job.JobIds;
import jakarta.json.JsonNumber;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The v4 create's extensions for time and order: {@code run_at} (epoch ms) and {@code depends_on}
 * (job ids). Mattermost clients never send them; what a client does send is checked here, each
 * mistake a 400 naming the field.
 */
final class CreateExtensions {

  /** Most jobs one job may depend on. */
  static final int MAX_DEPENDENCIES = 100;

  private static final BigDecimal MAX_MILLIS = BigDecimal.valueOf(Long.MAX_VALUE);

  private CreateExtensions() {}

  /** Epoch ms the job starts no earlier than; 0 (at once) when absent or null. */
  static long runAt(JsonValue value) {
    if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
      return 0;
    }
    if (value.getValueType() == JsonValue.ValueType.NUMBER) {
      BigDecimal n = ((JsonNumber) value).bigDecimalValue();
      if (n.scale() == 0 && n.signum() >= 0 && n.compareTo(MAX_MILLIS) <= 0) {
        return n.longValueExact();
      }
    }
    throw invalidBodyParam(
        "run_at", "run_at must be a whole number of epoch milliseconds, got " + shown(value));
  }

  /** The ids the job waits for, without repeats, in the order given; empty when absent. */
  static List<String> dependsOn(JsonValue value) {
    if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
      return List.of();
    }
    if (value.getValueType() != JsonValue.ValueType.ARRAY) {
      throw invalidBodyParam("depends_on", "depends_on must be an array of job ids");
    }
    Set<String> ids = new LinkedHashSet<>();
    for (JsonValue item : value.asJsonArray()) {
      if (item.getValueType() != JsonValue.ValueType.STRING) {
        throw invalidBodyParam(
            "depends_on", "depends_on must hold job ids (strings), got " + shown(item));
      }
      String id = ((JsonString) item).getString();
      if (!JobIds.isValid(id)) {
        throw invalidBodyParam("depends_on", "depends_on: " + shown(item) + " is not a job id");
      }
      ids.add(id);
    }
    if (ids.size() > MAX_DEPENDENCIES) {
      throw invalidBodyParam(
          "depends_on",
          "depends_on may name at most " + MAX_DEPENDENCIES + " jobs, got " + ids.size());
    }
    return new ArrayList<>(ids);
  }

  private static String shown(JsonValue value) {
    String s = value.toString();
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
