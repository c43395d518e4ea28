package dev.jobserver.ops;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

/** A {@link HealthVerdict} as MicroProfile Health's response. */
final class HealthResponses {
  private HealthResponses() {}

  static HealthCheckResponse of(String name, HealthVerdict verdict) {
    HealthCheckResponseBuilder b = HealthCheckResponse.named(name).status(verdict.up());
    verdict
        .data()
        .forEach(
            (key, value) -> {
              if (value instanceof Number n) {
                b.withData(key, n.longValue());
              } else {
                b.withData(key, String.valueOf(value));
              }
            });
    return b.build();
  }
}
