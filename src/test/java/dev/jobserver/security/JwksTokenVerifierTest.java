package dev.jobserver.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class JwksTokenVerifierTest {

  static final String ISSUER = "https://sso.example.com/realms/corp";
  static RSAKey k1;
  static RSAKey k2;
  static RSAKey impostor; // same kid as k1, another key
  static ECKey ec;

  FakeIdp idp;
  long now;

  @BeforeAll
  static void keys() throws Exception {
    k1 = new RSAKeyGenerator(2048).keyID("k1").generate();
    k2 = new RSAKeyGenerator(2048).keyID("k2").generate();
    impostor = new RSAKeyGenerator(2048).keyID("k1").generate();
    ec = new ECKeyGenerator(Curve.P_256).keyID("ec1").generate();
  }

  @BeforeEach
  void idp() {
    idp = new FakeIdp();
    idp.publish(k1, ec);
    now = idp.clock.get() / 1000;
  }

  JwksTokenVerifier verifier(JwksTokenVerifier.Rules rules) {
    return new JwksTokenVerifier(
        idp.keys(IdpKeys.TIME_TO_LIVE_MS, IdpKeys.MIN_REFETCH_INTERVAL_MS), rules, idp.clock::get);
  }

  JwksTokenVerifier verifier() {
    return verifier(rules(Set.of(), null, 0));
  }

  static JwksTokenVerifier.Rules rules(Set<String> audiences, Long maxAge, long skew) {
    return new JwksTokenVerifier.Rules(
        ISSUER, Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), audiences, maxAge, skew);
  }

  /** Claims JSON (single quotes) with {now} and {exp} filled in. */
  String claims(String json) {
    return json.replace("{now}", Long.toString(now))
        .replace("{exp}", Long.toString(now + 300))
        .replace('\'', '"');
  }

  String standard(String extra) {
    return claims("{'iss':'" + ISSUER + "','sub':'u-1','iat':{now},'exp':{exp}" + extra + "}");
  }

  static String sign(JWK key, JWSAlgorithm alg, JOSEObjectType typ, String claimsJson)
      throws Exception {
    JWSHeader.Builder h = new JWSHeader.Builder(alg).keyID(key.getKeyID());
    if (typ != null) {
      h.type(typ);
    }
    JWSObject jws = new JWSObject(h.build(), new Payload(claimsJson));
    JWSSigner signer = key instanceof RSAKey r ? new RSASSASigner(r) : new ECDSASigner((ECKey) key);
    jws.sign(signer);
    return jws.serialize();
  }

  static String sign(JWK key, String claimsJson) throws Exception {
    return sign(
        key,
        key instanceof RSAKey ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256,
        JOSEObjectType.JWT,
        claimsJson);
  }

  String refused(JwksTokenVerifier v, String token) {
    return assertThrows(JwksTokenVerifier.Rejected.class, () -> v.verify(token)).getMessage();
  }

  @Test
  void aTokenOfTheIdpIsTheCallerWithItsClaims() throws Exception {
    String token =
        sign(
            k1,
            standard(
                ",'preferred_username':'alice','groups':['read_jobs'],"
                    + "'realm_access':{'roles':['jobs-admin']},'auth_time':{now}"));
    JwksTokenVerifier.Verified v = verifier().verify(token);
    assertEquals("alice", v.principal().getName(), "MP-JWT: upn, else preferred_username");
    assertEquals("u-1", v.principal().getSubject());
    assertEquals(ISSUER, v.principal().getIssuer());
    assertEquals(token, v.principal().getRawToken());
    assertEquals(Set.of("read_jobs"), v.principal().getGroups());
    assertEquals(Long.valueOf(now), v.principal().<Long>getClaim("auth_time"));
    assertEquals(
        Set.of("jobs-admin"),
        Set.copyOf(ClaimPath.parse("realm_access.roles").strings(v.claims())));
    assertEquals(
        "bob", verifier().verify(sign(k1, standard(",'upn':'bob'"))).principal().getName());
    assertEquals("u-1", verifier().verify(sign(k1, standard(""))).principal().getName());
  }

  @Test
  void es256AndRs256AreAcceptedOtherAlgorithmsNot() throws Exception {
    verifier().verify(sign(ec, standard("")));
    JwksTokenVerifier rsOnly =
        verifier(
            new JwksTokenVerifier.Rules(ISSUER, Set.of(JWSAlgorithm.RS256), Set.of(), null, 0));
    assertTrue(refused(rsOnly, sign(ec, standard(""))).contains("ES256 is not one of"));
    JWSObject hs =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
            new Payload(standard("")));
    hs.sign(new MACSigner(new byte[32]));
    assertTrue(refused(verifier(), hs.serialize()).contains("HS256"));
    String none = new PlainJWT(JWTClaimsSet.parse(standard(""))).serialize();
    assertTrue(refused(verifier(), none).contains("not a signed JWT"));
    assertTrue(refused(verifier(), "abc").contains("not a JWT"));
    assertTrue(refused(verifier(), "a.b.c.d.e").contains("not a"));
  }

  @Test
  void aSignatureByAnotherKeyIsRefusedWhateverItsKeyId() throws Exception {
    assertTrue(refused(verifier(), sign(impostor, standard(""))).contains("Invalid signature"));
    String real = sign(k1, standard(""));
    String[] parts = real.split("\\.");
    String altered =
        parts[0]
            + "."
            + Base64URL.encode(
                standard(",'groups':['manage_jobs']").getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[2];
    assertTrue(refused(verifier(), altered).contains("Invalid signature"));
  }

  @Test
  void theIssuerAndTheTimesAreCheckedAsMpJwtDoes() throws Exception {
    JwksTokenVerifier v = verifier();
    assertTrue(refused(v, sign(k1, standard("").replace(ISSUER, ISSUER + "x"))).contains("issuer"));
    assertTrue(
        refused(v, sign(k1, claims("{'sub':'u','iat':{now},'exp':{exp}}"))).contains("issuer"));
    String expired =
        claims("{'iss':'" + ISSUER + "','sub':'u','iat':" + (now - 600) + ",'exp':" + now + "}");
    assertTrue(refused(v, sign(k1, expired)).contains("expired"));
    String inverted =
        claims("{'iss':'" + ISSUER + "','sub':'u','iat':{exp},'exp':" + (now + 100) + "}");
    assertTrue(refused(v, sign(k1, inverted)).contains("expired"), "iat after exp");
    assertTrue(
        refused(v, sign(k1, claims("{'iss':'" + ISSUER + "','sub':'u','iat':{now}}")))
            .contains("no numeric exp"));
    assertTrue(
        refused(v, sign(k1, claims("{'iss':'" + ISSUER + "','sub':'u','iat':{now},'exp':'soon'}")))
            .contains("no numeric exp"));
    assertTrue(
        refused(v, sign(k1, claims("{'iss':'" + ISSUER + "','sub':'u','exp':{exp}}")))
            .contains("no numeric iat"));
    assertTrue(
        refused(v, sign(k1, claims("{'iss':'" + ISSUER + "','iat':{now},'exp':{exp}}")))
            .contains("no sub"));
    assertTrue(refused(v, sign(k1, "[1,2]")).contains("not a JSON object"));

    JwksTokenVerifier skewed = verifier(rules(Set.of(), null, 30));
    skewed.verify(sign(k1, expired.replace("'exp':" + now, "'exp':" + (now - 20))));
    JwksTokenVerifier aged = verifier(rules(Set.of(), 60L, 0));
    String old = claims("{'iss':'" + ISSUER + "','sub':'u','iat':" + (now - 61) + ",'exp':{exp}}");
    assertTrue(refused(aged, sign(k1, old)).contains("issued more than 60 s ago"));
    aged.verify(sign(k1, standard("")));
  }

  @Test
  void audiencesAreCheckedWhenConfigured() throws Exception {
    JwksTokenVerifier v = verifier(rules(Set.of("jobserver"), null, 0));
    v.verify(sign(k1, standard(",'aud':'jobserver'")));
    v.verify(sign(k1, standard(",'aud':['account','jobserver']")));
    assertTrue(refused(v, sign(k1, standard(",'aud':'account'"))).contains("aud"));
    assertTrue(refused(v, sign(k1, standard(""))).contains("aud"));
    verifier().verify(sign(k1, standard(",'aud':'account'")));
  }

  @Test
  void typMayBeJwtAnAccessTokenTypeOrAbsent() throws Exception {
    verifier().verify(sign(k1, JWSAlgorithm.RS256, null, standard("")));
    verifier().verify(sign(k1, JWSAlgorithm.RS256, new JOSEObjectType("at+jwt"), standard("")));
    assertTrue(
        refused(
                verifier(),
                sign(k1, JWSAlgorithm.RS256, new JOSEObjectType("logout+jwt"), standard("")))
            .contains("type"));
  }

  @Test
  void aRotatedKeyIsAcceptedOnItsFirstTokenAndAWithdrawnOneRefusedAfterTheCache() throws Exception {
    JwksTokenVerifier v = verifier();
    v.verify(sign(k1, standard("")));
    String byK2 = sign(k2, standard(""));
    assertTrue(refused(v, byK2).contains("no key k2 among"), "not published yet");
    idp.advance(IdpKeys.MIN_REFETCH_INTERVAL_MS);
    idp.publish(k1, k2);
    v.verify(byK2);
    int fetches = idp.fetches.get();
    idp.publish(k2); // k1 withdrawn
    v.verify(sign(k1, standard("")));
    idp.advance(IdpKeys.TIME_TO_LIVE_MS);
    now = idp.clock.get() / 1000;
    String byK1 = sign(k1, standard(""));
    assertTrue(refused(v, byK1).contains("no key k1 among"));
    v.verify(sign(k2, standard("")));
    assertTrue(idp.fetches.get() > fetches);
  }

  @Test
  void tokensOfAnotherIssuerNeverMakeUsFetchKeys() throws Exception {
    JwksTokenVerifier v = verifier();
    v.verify(sign(k1, standard("")));
    int fetches = idp.fetches.get();
    String foreign = standard("").replace(ISSUER, "https://sso.example.com/realms/other");
    for (int i = 0; i < 10; i++) {
      refused(v, sign(k2, foreign));
    }
    assertEquals(fetches, idp.fetches.get());
  }
}
