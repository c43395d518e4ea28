package dev.jobserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevKeysTest {

  @Test
  void makesTheKeyOnceAndSignsTokensThatVerify(@TempDir Path dir) throws Exception {
    Path pub = DevKeys.ensure(dir);
    String first = Files.readString(pub);
    DevKeys.ensure(dir);
    assertEquals(first, Files.readString(pub), "the key is made once and reused");

    String token =
        DevKeys.token(
            DevKeys.privateKey(dir),
            DevKeys.ISSUER,
            "dev",
            List.of("manage_jobs", "TAIPY_ADMIN"),
            60);
    SignedJWT jwt = SignedJWT.parse(token);
    byte[] der = Base64.getMimeDecoder().decode(first.replaceAll("-----[A-Z ]+-----", ""));
    RSAPublicKey key =
        (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    assertTrue(jwt.verify(new RSASSAVerifier(key)));
    assertEquals("jobserver-dev", jwt.getJWTClaimsSet().getIssuer());
    assertEquals("dev", jwt.getJWTClaimsSet().getSubject());
    assertEquals(
        List.of("manage_jobs", "TAIPY_ADMIN"), jwt.getJWTClaimsSet().getStringListClaim("groups"));
  }

  @Test
  void thePrivateKeyIsOwnerOnlyAndNeverWrittenThroughALink(@TempDir Path dir) throws Exception {
    // a file someone else can read, linked where the key goes (a shared or copied data directory)
    Path elsewhere = Files.writeString(dir.resolve("elsewhere.pem"), "not a key\n");
    Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rw-r--r--"));
    Path keys = Files.createDirectories(dir.resolve("data"));
    Files.createSymbolicLink(keys.resolve(DevKeys.PRIVATE_FILE), elsewhere);

    DevKeys.ensure(keys);

    assertEquals("not a key\n", Files.readString(elsewhere), "the key went through the link");
    Path priv = keys.resolve(DevKeys.PRIVATE_FILE);
    assertFalse(Files.isSymbolicLink(priv));
    assertEquals(
        PosixFilePermissions.fromString("rw-------"),
        Files.getPosixFilePermissions(priv, LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.readString(priv).startsWith("-----BEGIN PRIVATE KEY-----"));
    try (Stream<Path> left = Files.list(keys)) {
      assertEquals(
          List.of(DevKeys.PRIVATE_FILE, DevKeys.PUBLIC_FILE),
          left.map(p -> p.getFileName().toString()).sorted().toList(),
          "no temporary file left behind");
    }
  }
}
