package dev.jobserver.it;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a real JSON body against the schema the OpenAPI document gives for it, strictly: every
 * required property present, no property the schema does not list (generated clients refuse those),
 * types, int32/int64 ranges, date-times, enums, minimum/maximum, nullable. It knows the parts of
 * OpenAPI 3.0 that the document uses ($ref, allOf, additionalProperties, items).
 */
final class SchemaCheck {
  private final OpenAPI api;

  SchemaCheck(OpenAPI api) {
    this.api = api;
  }

  /** The schema of the JSON answer {@code status} of {@code method path}, as the document says. */
  Schema<?> responseSchema(String path, PathItem.HttpMethod method, int status) {
    PathItem item = api.getPaths().get(path);
    if (item == null) {
      throw new AssertionError("the document has no path " + path);
    }
    Operation op = item.readOperationsMap().get(method);
    if (op == null) {
      throw new AssertionError("the document has no " + method + " " + path);
    }
    ApiResponse response = op.getResponses().get(String.valueOf(status));
    if (response == null || response.getContent() == null) {
      throw new AssertionError(method + " " + path + " documents no body for " + status);
    }
    MediaType json = response.getContent().get("application/json");
    if (json == null || json.getSchema() == null) {
      throw new AssertionError(method + " " + path + " " + status + " has no JSON schema");
    }
    return json.getSchema();
  }

  /** The problems of {@code value} against {@code schema}; empty when it conforms. */
  List<String> problems(JsonValue value, Schema<?> schema) {
    List<String> problems = new ArrayList<>();
    check("$", value, schema, problems);
    return problems;
  }

  private Schema<?> resolve(Schema<?> s) {
    while (s.get$ref() != null) {
      String name = s.get$ref().substring(s.get$ref().lastIndexOf('/') + 1);
      Schema<?> target = api.getComponents().getSchemas().get(name);
      if (target == null) {
        throw new AssertionError("no schema " + s.get$ref());
      }
      s = target;
    }
    return s;
  }

  private void check(String at, JsonValue value, Schema<?> schema, List<String> problems) {
    boolean nullable = Boolean.TRUE.equals(schema.getNullable());
    Schema<?> s = resolve(schema);
    nullable |= Boolean.TRUE.equals(s.getNullable());
    if (value.getValueType() == JsonValue.ValueType.NULL) {
      if (!nullable) {
        problems.add(at + ": null, but the schema is not nullable");
      }
      return;
    }
    if (s.getAllOf() != null) {
      if (s.getAllOf().stream().map(this::resolve).allMatch(SchemaCheck::isObject)) {
        checkObject(at, value, merged(s), problems); // a model made of others
      } else {
        s.getAllOf().forEach(part -> check(at, value, part, problems)); // e.g. a nullable enum
      }
      return;
    }
    String type = s.getType();
    if (type == null && s.getProperties() != null) {
      type = "object";
    }
    if (type == null) {
      return; // any value
    }
    switch (type) {
      case "object" -> checkObject(at, value, s, problems);
      case "array" -> {
        if (!(value instanceof JsonArray a)) {
          problems.add(at + ": expected an array, got " + value.getValueType());
          return;
        }
        for (int i = 0; i < a.size(); i++) {
          check(at + "[" + i + "]", a.get(i), s.getItems(), problems);
        }
      }
      case "string" -> {
        if (!(value instanceof JsonString str)) {
          problems.add(at + ": expected a string, got " + value.getValueType());
          return;
        }
        if ("date-time".equals(s.getFormat())) {
          try {
            OffsetDateTime.parse(str.getString());
          } catch (DateTimeParseException e) {
            problems.add(at + ": not a date-time: " + str.getString());
          }
        }
        checkEnum(at, str.getString(), s, problems);
      }
      case "integer" -> {
        if (!(value instanceof JsonNumber n) || !n.isIntegral()) {
          problems.add(at + ": expected an integer, got " + value);
          return;
        }
        BigDecimal v = n.bigDecimalValue();
        long min = "int32".equals(s.getFormat()) ? Integer.MIN_VALUE : Long.MIN_VALUE;
        long max = "int32".equals(s.getFormat()) ? Integer.MAX_VALUE : Long.MAX_VALUE;
        if (v.compareTo(BigDecimal.valueOf(min)) < 0 || v.compareTo(BigDecimal.valueOf(max)) > 0) {
          problems.add(at + ": " + v + " does not fit " + s.getFormat());
        }
        if (s.getMinimum() != null && v.compareTo(s.getMinimum()) < 0) {
          problems.add(at + ": " + v + " is below the minimum " + s.getMinimum());
        }
        if (s.getMaximum() != null && v.compareTo(s.getMaximum()) > 0) {
          problems.add(at + ": " + v + " is above the maximum " + s.getMaximum());
        }
      }
      case "number" -> {
        if (!(value instanceof JsonNumber)) {
          problems.add(at + ": expected a number, got " + value.getValueType());
        }
      }
      case "boolean" -> {
        if (value != JsonValue.TRUE && value != JsonValue.FALSE) {
          problems.add(at + ": expected a boolean, got " + value.getValueType());
        }
      }
      default -> problems.add(at + ": the schema has an unknown type " + type);
    }
  }

  private static boolean isObject(Schema<?> s) {
    return "object".equals(s.getType()) || s.getProperties() != null || s.getAllOf() != null;
  }

  private static void checkEnum(String at, Object value, Schema<?> s, List<String> problems) {
    if (s.getEnum() != null && !s.getEnum().isEmpty() && !s.getEnum().contains(value)) {
      problems.add(at + ": " + value + " is none of " + s.getEnum());
    }
  }

  /** One object schema of an allOf: the properties and required fields of all its parts. */
  private Schema<?> merged(Schema<?> s) {
    Map<String, Schema> properties = new LinkedHashMap<>();
    Set<String> required = new LinkedHashSet<>();
    for (Schema<?> part : s.getAllOf()) {
      Schema<?> p = part.getAllOf() != null ? merged(resolve(part)) : resolve(part);
      if (p.getProperties() != null) {
        properties.putAll(p.getProperties());
      }
      if (p.getRequired() != null) {
        required.addAll(p.getRequired());
      }
    }
    Schema<Object> m = new Schema<>();
    m.setType("object");
    m.setProperties(properties);
    m.setRequired(new ArrayList<>(required));
    return m;
  }

  private void checkObject(String at, JsonValue value, Schema<?> s, List<String> problems) {
    if (!(value instanceof JsonObject o)) {
      problems.add(at + ": expected an object, got " + value.getValueType());
      return;
    }
    Map<String, Schema> properties = s.getProperties() == null ? Map.of() : s.getProperties();
    if (s.getRequired() != null) {
      for (String name : s.getRequired()) {
        if (!o.containsKey(name)) {
          problems.add(at + ": the required property " + name + " is missing");
        }
      }
    }
    Object additional = s.getAdditionalProperties();
    for (Map.Entry<String, JsonValue> e : o.entrySet()) {
      Schema<?> p = properties.get(e.getKey());
      if (p != null) {
        check(at + "." + e.getKey(), e.getValue(), p, problems);
      } else if (additional instanceof Schema<?> extra) {
        check(at + "." + e.getKey(), e.getValue(), extra, problems);
      } else if (!Boolean.TRUE.equals(additional)) {
        problems.add(at + ": the property " + e.getKey() + " is not in the schema");
      }
    }
  }
}
