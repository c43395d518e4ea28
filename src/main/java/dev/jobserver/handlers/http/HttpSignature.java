package dev.jobserver.handlers.http;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code Jobserver-Signature} header: {@code t=<unix seconds>,v1=<hex HMAC-SHA256(key, t + "."
 * + body)>}, with one {@code v1=} per key (the current one first, then the previous one during a
 * rotation). A receiver recomputes the HMAC with its key over the timestamp, a dot and the raw body
 * bytes, compares it in constant time with each {@code v1}, and refuses an old timestamp.
 */
final class HttpSignature {

  static final String HEADER = "Jobserver-Signature";

  private HttpSignature() {}

  /**
   * The header's value, or null when no key is configured.
   *
   * @param keys the keys to sign with (blank ones are skipped), the current first
   */
  static String header(List<String> keys, long unixSeconds, byte[] body) {
    StringBuilder out = new StringBuilder("t=").append(unixSeconds);
    int signed = 0;
    for (String key : keys) {
      if (key == null || key.isBlank()) {
        continue;
      }
      out.append(",v1=").append(hmacHex(key, unixSeconds, body));
      signed++;
    }
    return signed == 0 ? null : out.toString();
  }

  /** Hex HMAC-SHA256 with the key's UTF-8 bytes over {@code t + "." + body}. */
  static String hmacHex(String key, long unixSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((unixSeconds + ".").getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
