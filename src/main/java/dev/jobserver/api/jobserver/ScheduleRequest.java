package dev.jobserver.api.jobserver;

import dev.jobserver.api.common.Bodies;
import dev.jobserver.schedule.InvalidScheduleException;
import dev.jobserver.schedule.ScheduleDefinition;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.LinkedHashMap;
import java.util.Map;

/** A schedule's definition as a client sends it (create and replace), checked field by field. */
final class ScheduleRequest {

  private ScheduleRequest() {}

  /**
   * @throws InvalidScheduleException naming the field whose JSON type or value is wrong
   */
  static ScheduleDefinition read(JsonObject body) {
    return new ScheduleDefinition(
        string(body, "name"),
        string(body, "type"),
        data(body.get("data")),
        string(body, "cron"),
        string(body, "every"),
        string(body, "time_zone"),
        string(body, "overlap"),
        string(body, "misfire"),
        bool(body, "paused"));
  }

  private static String string(JsonObject body, String field) {
    JsonValue v = body.get(field);
    if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
      return null;
    }
    if (v.getValueType() != JsonValue.ValueType.STRING) {
      throw new InvalidScheduleException(field, "must be a string");
    }
    String s = ((JsonString) v).getString();
    if (!Bodies.isWellFormed(s)) {
      throw new InvalidScheduleException(field, "has a lone UTF-16 surrogate (\\ud800-\\udfff)");
    }
    return s;
  }

  private static boolean bool(JsonObject body, String field) {
    JsonValue v = body.get(field);
    if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
      return false;
    }
    if (v == JsonValue.TRUE || v == JsonValue.FALSE) {
      return v == JsonValue.TRUE;
    }
    throw new InvalidScheduleException(field, "must be true or false");
  }

  private static Map<String, String> data(JsonValue v) {
    Map<String, String> data = new LinkedHashMap<>();
    if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
      return data;
    }
    if (v.getValueType() != JsonValue.ValueType.OBJECT) {
      throw new InvalidScheduleException("data", "must be an object of string values");
    }
    return Bodies.stringMap(v.asJsonObject(), InvalidScheduleException::new);
  }
}
