package dev.jobserver.it;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small HTTP client for the tests: every call says method, path, token and body. */
public final class Http {
  private static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final String base;

  public Http(String base) {
    this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
  }

  public Reply get(String path, String token) {
    return send("GET", path, token, null, Map.of());
  }

  public Reply post(String path, String token, String body) {
    return send("POST", path, token, body, Map.of("Content-Type", "application/json"));
  }

  public Reply patch(String path, String token, String body) {
    return send("PATCH", path, token, body, Map.of("Content-Type", "application/json"));
  }

  public Reply put(String path, String token, String body) {
    return send("PUT", path, token, body, Map.of("Content-Type", "application/json"));
  }

  public Reply delete(String path, String token) {
    return send("DELETE", path, token, null, Map.of());
  }

  public Reply send(
      String method, String path, String token, String body, Map<String, String> headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    headers.forEach(b::header);
    try {
      HttpResponse<byte[]> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Reply(r.statusCode(), r.headers().map(), r.body());
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    }
  }

  public record Reply(int status, Map<String, java.util.List<String>> headers, byte[] bytes) {
    public String body() {
      return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    public String header(String name) {
      return headers.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0))
          .findFirst()
          .orElse(null);
    }

    public JsonObject json() {
      try (JsonReader r = Json.createReader(new StringReader(body()))) {
        return r.readObject();
      } catch (RuntimeException e) {
        throw new AssertionError("not a JSON object (" + status + "): " + body(), e);
      }
    }

    public JsonArray array() {
      try (JsonReader r = Json.createReader(new StringReader(body()))) {
        return r.readArray();
      } catch (RuntimeException e) {
        throw new AssertionError("not a JSON array (" + status + "): " + body(), e);
      }
    }

    @Override
    public String toString() {
      return status + " " + body();
    }
  }
}
