package dev.jobserver.job;

import jakarta.json.spi.JsonProvider;

/**
 * The one JSON-P provider. {@code jakarta.json.Json.createObjectBuilder()} and its siblings look
 * the provider up through ServiceLoader on every call, which scans the class path: measured at
 * about 9% of the server's CPU under load before this.
 */
public final class JsonProviders {
  public static final JsonProvider JSON = JsonProvider.provider();

  private JsonProviders() {}
}
