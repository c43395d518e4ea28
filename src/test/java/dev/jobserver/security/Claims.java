package dev.jobserver.security;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.StringReader;

/** Token claims for the tests, written as JSON with single quotes. */
final class Claims {
  private Claims() {}

  static JsonObject of(String singleQuotedJson) {
    try (JsonReader r = Json.createReader(new StringReader(singleQuotedJson.replace('\'', '"')))) {
      return r.readObject();
    }
  }
}
