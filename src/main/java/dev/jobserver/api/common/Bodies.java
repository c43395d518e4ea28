package dev.jobserver.api.common;

import static dev.jobserver.job.JsonProviders.JSON;

import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Reads request bodies with the 1 MiB cap, and parses JSON objects with clear failures. */
public final class Bodies {
  public static final int MAX_BYTES = 1024 * 1024;

  private Bodies() {}

  /** The body as UTF-8 text; {@link BodyTooLargeException} past 1 MiB. */
  public static String read(InputStream in) throws IOException {
    if (in == null) {
      return "";
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) > 0) {
      if (out.size() + n > MAX_BYTES) {
        throw new BodyTooLargeException();
      }
      out.write(buf, 0, n);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The body as a JSON object, or empty when it is not one (malformed, or another JSON value). */
  public static Optional<JsonObject> jsonObject(String body) {
    if (body == null || body.isBlank()) {
      return Optional.empty();
    }
    try (JsonReader r = JSON.createReader(new StringReader(body))) {
      JsonValue v = r.readValue();
      return v.getValueType() == JsonValue.ValueType.OBJECT
          ? Optional.of(v.asJsonObject())
          : Optional.empty();
    } catch (IllegalStateException | jakarta.json.JsonException e) {
      return Optional.empty();
    }
  }

  /** Thrown when a body passes 1 MiB; answered with 413. */
  public static final class BodyTooLargeException extends RuntimeException {
    public BodyTooLargeException() {
      super("The request body is larger than 1 MiB.");
    }
  }
}
