package dev.jobserver.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The development signing key: an RSA pair made once in the data directory (never in the repository
 * or the WAR), and RS256 tokens signed with it.
 */
public final class DevKeys {

  public static final String ISSUER = "jobserver-dev";
  static final String PRIVATE_FILE = "dev-jwt-private.pem";
  static final String PUBLIC_FILE = "dev-jwt-public.pem";

  private DevKeys() {}

  /** Makes the key pair in {@code dir} unless it is there; returns the public key file. */
  public static Path ensure(Path dir) throws IOException, GeneralSecurityException {
    Files.createDirectories(dir);
    Path priv = dir.resolve(PRIVATE_FILE);
    Path pub = dir.resolve(PUBLIC_FILE);
    if (Files.exists(priv) && Files.exists(pub)) {
      return pub;
    }
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair pair = gen.generateKeyPair();
    writeOwnerOnly(priv, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    Files.writeString(pub, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    return pub;
  }

  /**
   * Writes the file so that no one else can ever read it: the content goes into a new file created
   * owner-only (not chmod'ed after writing, which leaves a moment where it is readable), which then
   * replaces the name atomically; a link planted at that name is replaced, not written through.
   */
  static void writeOwnerOnly(Path file, String content) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp;
    try {
      tmp =
          Files.createTempFile(
              dir,
              "." + file.getFileName(),
              ".tmp",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException notPosix) {
      tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    }
    try {
      Files.writeString(tmp, content);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  public static PrivateKey privateKey(Path dir) throws IOException, GeneralSecurityException {
    String text = Files.readString(dir.resolve(PRIVATE_FILE));
    String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("RSA")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }

  /** An RS256 JWT with the MP-JWT claims: iss, sub, upn, groups, iat, exp, jti. */
  public static String token(
      PrivateKey key, String issuer, String subject, List<String> groups, long lifetimeSeconds)
      throws GeneralSecurityException {
    long now = System.currentTimeMillis() / 1000;
    String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    String claims =
        "{\"iss\":"
            + q(issuer)
            + ",\"sub\":"
            + q(subject)
            + ",\"upn\":"
            + q(subject)
            + ",\"groups\":["
            + groups.stream().map(DevKeys::q).collect(Collectors.joining(","))
            + "],\"iat\":"
            + now
            + ",\"exp\":"
            + (now + lifetimeSeconds)
            + ",\"jti\":"
            + q(java.util.UUID.randomUUID().toString())
            + "}";
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput =
        b64.encodeToString(header.getBytes(StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
    Signature sig = Signature.getInstance("SHA256withRSA");
    sig.initSign(key);
    sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64.encodeToString(sig.sign());
  }

  private static String q(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
