package dev.jobserver.job;

import static dev.jobserver.job.JsonProviders.JSON;

import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The stored JSON forms of a job's data (an object of strings) and its stack traces (a list). */
public final class JobData {

  private JobData() {}

  public static String toJson(Map<String, String> data) {
    JsonObjectBuilder b = JSON.createObjectBuilder();
    if (data != null) {
      data.forEach((k, v) -> b.add(k, v == null ? "" : v));
    }
    return b.build().toString();
  }

  public static Map<String, String> fromJson(String json) {
    if (json == null || json.isBlank()) {
      return Collections.emptyMap();
    }
    try (JsonReader r = JSON.createReader(new StringReader(json))) {
      JsonObject o = r.readObject();
      Map<String, String> out = new LinkedHashMap<>();
      o.forEach(
          (k, v) ->
              out.put(
                  k,
                  v.getValueType() == JsonValue.ValueType.STRING
                      ? ((JsonString) v).getString()
                      : v.toString()));
      return out;
    }
  }

  public static String listToJson(List<String> items) {
    JsonArrayBuilder b = JSON.createArrayBuilder();
    items.forEach(b::add);
    return b.build().toString();
  }

  public static List<String> listFromJson(String json) {
    if (json == null || json.isBlank()) {
      return List.of();
    }
    try (JsonReader r = JSON.createReader(new StringReader(json))) {
      List<String> out = new ArrayList<>();
      r.readArray().forEach(v -> out.add(((JsonString) v).getString()));
      return out;
    }
  }
}
