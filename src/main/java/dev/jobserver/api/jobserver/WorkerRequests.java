package dev.jobserver.api.jobserver;

import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.math.BigDecimal;
import java.util.LinkedHashSet;
import java.util.Set;

/** The fields of the worker protocol's bodies, each checked (400 naming the field). */
final class WorkerRequests {

  static final int MAX_TEXT = 4000;
  static final int MAX_WORKER = 100;
  static final int MAX_TYPES = 50;

  private WorkerRequests() {}

  static int integer(JsonObject body, String field, Integer fallback, int min, int max) {
    JsonValue v = body.get(field);
    if (v == null || v == JsonValue.NULL) {
      if (fallback == null) {
        throw NativeParams.bad(field + ": required, an integer from " + min + " to " + max);
      }
      return fallback;
    }
    return RemoteTypeRequest.integer(body, field, 0, min, max);
  }

  static Integer optionalInteger(JsonObject body, String field, int min, int max) {
    JsonValue v = body.get(field);
    if (v == null || v == JsonValue.NULL) {
      return null;
    }
    return RemoteTypeRequest.integer(body, field, 0, min, max);
  }

  /** The lease token: a positive integer, as a JSON number or a string of digits. */
  static long token(JsonObject body) {
    JsonValue v = body.get("lease_token");
    if (v == null || v == JsonValue.NULL) {
      throw NativeParams.bad("lease_token: required (the claim's lease_token)");
    }
    if (v instanceof JsonNumber n && n.isIntegral()) {
      return token(n.bigDecimalValue().toPlainString());
    }
    if (v instanceof JsonString s) {
      return token(s.getString());
    }
    throw NativeParams.bad("lease_token: must be the claim's lease_token, a positive integer");
  }

  static long token(String value) {
    if (value == null || value.isBlank()) {
      throw NativeParams.bad("lease_token: required (header Jobserver-Lease-Token)");
    }
    try {
      BigDecimal d = new BigDecimal(value.trim());
      if (d.signum() > 0
          && d.scale() <= 0
          && d.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0) {
        return d.longValueExact();
      }
    } catch (NumberFormatException | ArithmeticException e) {
      // the message below
    }
    throw NativeParams.bad(
        "lease_token: " + NativeParams.quote(value) + " is no lease token (a positive integer)");
  }

  static String text(JsonObject body, String field, boolean required) {
    JsonValue v = body.get(field);
    if (v == null || v == JsonValue.NULL) {
      if (required) {
        throw NativeParams.bad(field + ": required, a string");
      }
      return null;
    }
    if (!(v instanceof JsonString s)) {
      throw NativeParams.bad(field + ": must be a string");
    }
    String t = s.getString();
    if (t.length() > MAX_TEXT) {
      throw NativeParams.bad(field + ": at most " + MAX_TEXT + " characters");
    }
    if (t.indexOf('\u0000') >= 0) {
      throw NativeParams.bad(field + ": must not contain NUL");
    }
    return t;
  }

  static boolean bool(JsonObject body, String field, boolean fallback) {
    JsonValue v = body.get(field);
    if (v == null || v == JsonValue.NULL) {
      return fallback;
    }
    if (v == JsonValue.TRUE) {
      return true;
    }
    if (v == JsonValue.FALSE) {
      return false;
    }
    throw NativeParams.bad(field + ": must be true or false");
  }

  static String worker(JsonObject body) {
    String w = text(body, "worker", true);
    if (w.isBlank() || w.length() > MAX_WORKER || !w.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw NativeParams.bad(
          "worker: 1-"
              + MAX_WORKER
              + " visible ASCII characters naming the worker (e.g. host-pid)");
    }
    return w;
  }

  static Set<String> types(JsonObject body) {
    JsonValue v = body.get("types");
    if (!(v instanceof JsonArray a) || a.isEmpty() || a.size() > MAX_TYPES) {
      throw NativeParams.bad("types: required, an array of 1-" + MAX_TYPES + " remote type names");
    }
    Set<String> out = new LinkedHashSet<>();
    for (JsonValue t : a) {
      if (!(t instanceof JsonString s)) {
        throw NativeParams.bad("types: must hold type names (strings)");
      }
      out.add(s.getString());
    }
    return out;
  }
}
