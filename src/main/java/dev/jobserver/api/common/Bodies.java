package dev.jobserver.api.common;

import static dev.jobserver.job.JsonProviders.JSON;

import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

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
