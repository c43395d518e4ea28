package dev.jobserver.it;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.util.Base64;
import java.util.Date;
import java.util.List;

/** Test tokens, signed with a key pair made when the tests start (never stored). */
public final class TestTokens {
  public static final String ISSUER = "jobserver-test";
  private static final RSAKey KEY = generate();
  private static final RSAKey OTHER_KEY = generate();

  private TestTokens() {}

  private static RSAKey generate() {
    try {
      return new RSAKeyGenerator(2048).generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String publicKeyPem() {
    try {
      byte[] der = KEY.toRSAPublicKey().getEncoded();
      return "-----BEGIN PUBLIC KEY-----\n"
          + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
          + "\n-----END PUBLIC KEY-----\n";
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String token(String subject, String... groups) {
    return sign(KEY, ISSUER, subject, List.of(groups), 3600);
  }

  /** A valid token that expires in the given number of seconds. */
  public static String expiringIn(long seconds, String subject, String... groups) {
    return sign(KEY, ISSUER, subject, List.of(groups), seconds);
  }

  public static String expired(String... groups) {
    return sign(KEY, ISSUER, "late", List.of(groups), -600);
  }

  public static String foreignIssuer(String... groups) {
    return sign(KEY, "https://evil.example", "mallory", List.of(groups), 3600);
  }

  public static String forged(String... groups) {
    return sign(OTHER_KEY, ISSUER, "mallory", List.of(groups), 3600);
  }

  public static String algNone(String... groups) {
    return new PlainJWT(claims(ISSUER, "mallory", List.of(groups), 3600)).serialize();
  }

  private static String sign(
      RSAKey key, String issuer, String subject, List<String> groups, long ttl) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.RS256)
                  .type(JOSEObjectType.JWT)
                  .keyID(key.getKeyID())
                  .build(),
              claims(issuer, subject, groups, ttl));
      jwt.sign(new RSASSASigner(key));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static JWTClaimsSet claims(String issuer, String subject, List<String> groups, long ttl) {
    long now = System.currentTimeMillis();
    return new JWTClaimsSet.Builder()
        .issuer(issuer)
        .subject(subject)
        .claim("upn", subject)
        .claim("groups", groups)
        .issueTime(new Date(now - (ttl < 0 ? 3_600_000 : 0)))
        .expirationTime(new Date(now + ttl * 1000))
        .jwtID(java.util.UUID.randomUUID().toString())
        .build();
  }
}
