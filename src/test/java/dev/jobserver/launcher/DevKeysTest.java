package dev.jobserver.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
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
  void barePathsBecomeFileUrls() {
    assertEquals("https://idp.example/jwks", Launcher.asUrl("https://idp.example/jwks"));
    assertEquals("file:/etc/key.pem", Launcher.asUrl("file:/etc/key.pem"));
    assertEquals("file:///etc/key.pem", Launcher.asUrl("/etc/key.pem"));
  }
}
