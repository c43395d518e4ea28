package dev.jobserver.api.common;

import static dev.jobserver.job.JsonProviders.JSON;

import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/** Reads request bodies with the 1 MiB cap, and parses JSON objects with clear failures. */
public final class Bodies {
  public static final int MAX_BYTES = 1024 * 1024;

  private Bodies() {}

  /**
   * The body as UTF-8 text; {@link BodyTooLargeException} past 1 MiB, {@link BadBodyException} when
   * it is not UTF-8 (decoding it anyway would store U+FFFD in place of what the client sent).
   */
  public static String read(InputStream in) throws IOException {
    if (in == null) {
      return "";
    }
    Buffer out = new Buffer();
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) > 0) {
      if (out.size() + n > MAX_BYTES) {
        throw new BodyTooLargeException();
      }
      out.write(buf, 0, n);
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(out.view())
          .toString();
    } catch (CharacterCodingException e) {
      throw new BadBodyException("the body is not valid UTF-8");
    }
  }

  /** The body as a JSON object, or empty when it is not one (malformed, or another JSON value). */
  public static Optional<JsonObject> jsonObject(String body) {
    try {
      return Optional.of(object(body));
    } catch (BadBodyException e) {
      return Optional.empty();
    }
  }

  /** The body as a JSON object; {@link BadBodyException} saying why it is not one. */
  public static JsonObject object(String body) {
    if (body == null || body.isBlank()) {
      throw new BadBodyException("the body is empty; it must be a JSON object");
    }
    JsonValue v;
    try (JsonReader r = JSON.createReader(new StringReader(body))) {
      v = r.readValue();
    } catch (RuntimeException e) {
      // Parsson answers malformed JSON with JsonException, and input past its limits (nesting
      // deeper than 1000, numbers longer than 1100 characters) with a bare RuntimeException or
      // UnsupportedOperationException: all of it is the client's input, none of it a server error.
      throw new BadBodyException("the body is not well-formed JSON: " + e.getMessage());
    }
    if (v.getValueType() != JsonValue.ValueType.OBJECT) {
      throw new BadBodyException("the body must be a JSON object");
    }
    return v.asJsonObject();
  }

  /**
   * Whether the text is well-formed UTF-16: JSON's {@code \ud800} escapes can carry a lone
   * surrogate, which no database column stores (it would come back as '?').
   */
  public static boolean isWellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  /**
   * A job's {@code data} object as it is stored: every value a string, every key and value kept
   * exactly, or refused. A lone UTF-16 surrogate (JSON can escape one) has no UTF-8 form, so the
   * database would store {@code ?} in its place: it is refused, never altered.
   *
   * @param refusal makes the API's 400 from the field at fault ({@code data} for a key, {@code
   *     data.<key>} for a value) and what is wrong with it
   */
  public static Map<String, String> stringMap(
      JsonObject data, BiFunction<String, String, RuntimeException> refusal) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonValue> e : data.entrySet()) {
      if (!isWellFormed(e.getKey())) {
        throw refusal.apply("data", "has a key with a lone UTF-16 surrogate (\\ud800-\\udfff)");
      }
      String field = "data." + e.getKey();
      if (e.getValue().getValueType() != JsonValue.ValueType.STRING) {
        throw refusal.apply(field, "must be a string");
      }
      String value = ((JsonString) e.getValue()).getString();
      if (!isWellFormed(value)) {
        throw refusal.apply(field, "has a lone UTF-16 surrogate (\\ud800-\\udfff)");
      }
      out.put(e.getKey(), value);
    }
    return out;
  }

  private static final class Buffer extends ByteArrayOutputStream {
    ByteBuffer view() {
      return ByteBuffer.wrap(buf, 0, count);
    }
  }

  /** Thrown when a body passes 1 MiB; answered with 413. */
  public static final class BodyTooLargeException extends RuntimeException {
    public BodyTooLargeException() {
      super("The request body is larger than 1 MiB.");
    }
  }

  /** A body that is not what the API reads (not UTF-8, not a JSON object); answered with 400. */
  public static final class BadBodyException extends RuntimeException {
    public BadBodyException(String reason) {
      super(reason);
    }
  }
}
