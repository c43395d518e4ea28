package dev.jobserver.security;

import com.nimbusds.jose.JWSAlgorithm;
import dev.jobserver.common.Settings;
import dev.jobserver.common.WholeNumbers;
import java.net.URI;
import java.net.URL;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The single sign-on settings, read once and checked when the application starts ({@link
 * SecurityStartup}): a malformed one stops the deployment with a message naming it.
 *
 * <ul>
 *   <li>{@code JOBSERVER_ROLES_CLAIM}: a second roles claim ({@link ClaimPath}), merged with {@code
 *       groups};
 *   <li>{@code JOBSERVER_ROLE_MAP}: IdP names to Jobserver roles ({@link RoleMap});
 *   <li>{@code JOBSERVER_OIDC_CLIENT_ID}: the console's client at the IdP, published without a
 *       token with the issuer;
 *   <li>{@code JOBSERVER_OIDC_SCOPE}: scopes the console asks for besides {@code openid profile},
 *       such as the API scope Entra ID needs to issue an access token for Jobserver;
 *   <li>MP-JWT's {@code mp.jwt.verify.*}: with an {@code http(s)} key location (an IdP's JWKS URL)
 *       tokens are verified by {@link JwksTokenVerifier}, which fetches the keys again when it
 *       meets a new key id; with any other location (a PEM or JWKS file, the development key)
 *       Payara's MP-JWT store verifies them, as it always did.
 * </ul>
 *
 * Jobserver's own settings are read like the others (environment variable, or the same name as a
 * lower-case dotted system property), and also from MicroProfile Config under that dotted name.
 */
public final class SingleSignOn {

  public static final String ROLES_CLAIM = "JOBSERVER_ROLES_CLAIM";
  public static final String ROLE_MAP = "JOBSERVER_ROLE_MAP";
  public static final String OIDC_CLIENT_ID = "JOBSERVER_OIDC_CLIENT_ID";
  public static final String OIDC_SCOPE = "JOBSERVER_OIDC_SCOPE";
  static final String KEY_LOCATION = "mp.jwt.verify.publickey.location";
  static final String ISSUER = "mp.jwt.verify.issuer";
  static final String AUDIENCES = "mp.jwt.verify.audiences";
  static final String TOKEN_AGE = "mp.jwt.verify.token.age";
  static final String CLOCK_SKEW = "mp.jwt.verify.clock.skew";
  static final String ALGORITHM = "mp.jwt.verify.publickey.algorithm";

  private static volatile SingleSignOn instance;
  private static IllegalArgumentException failure;

  private final TokenRoles roles;
  private final String issuer;
  private final String clientId;
  private final String scope;
  private final String keyLocation;
  private final URL jwksUrl;
  private final JwksTokenVerifier.Rules rules;
  private JwksTokenVerifier verifier;

  private SingleSignOn(
      TokenRoles roles,
      String issuer,
      String clientId,
      String scope,
      String keyLocation,
      URL jwksUrl,
      JwksTokenVerifier.Rules rules) {
    this.roles = roles;
    this.issuer = issuer;
    this.clientId = clientId;
    this.scope = scope;
    this.keyLocation = keyLocation;
    this.jwksUrl = jwksUrl;
    this.rules = rules;
  }

  /**
   * The settings of this server.
   *
   * @throws IllegalArgumentException when one is malformed (every time it is asked)
   */
  public static SingleSignOn instance() {
    SingleSignOn ready = instance; // every request asks: no lock once read
    return ready != null ? ready : load();
  }

  private static synchronized SingleSignOn load() {
    if (instance == null && failure == null) {
      try {
        SingleSignOn loaded = from(SingleSignOn::setting);
        if (loaded.jwksUrl != null) {
          loaded.verifier =
              new JwksTokenVerifier(
                  IdpKeys.fromUrl(loaded.jwksUrl), loaded.rules, System::currentTimeMillis);
        }
        instance = loaded;
      } catch (IllegalArgumentException e) {
        failure = e;
      }
    }
    if (failure != null) {
      throw failure;
    }
    return instance;
  }

  /** Through MicroProfile Config: JOBSERVER_ROLES_CLAIM as jobserver.roles.claim, and so on. */
  private static String setting(String name) {
    return Settings.get(name);
  }

  /**
   * Reads and checks the settings.
   *
   * @param settings by name: Jobserver's by their environment names, MP-JWT's by their dotted ones
   * @throws IllegalArgumentException naming the setting that is wrong and why
   */
  static SingleSignOn from(Function<String, String> settings) {
    ClaimPath rolesClaim = null;
    String claim = trimmed(settings.apply(ROLES_CLAIM));
    if (claim != null) {
      try {
        rolesClaim = ClaimPath.parse(claim);
      } catch (IllegalArgumentException e) {
        throw wrong(
            ROLES_CLAIM, e.getMessage() + "; expected a dotted path such as realm_access.roles");
      }
    }
    RoleMap roleMap;
    try {
      roleMap = RoleMap.parse(settings.apply(ROLE_MAP));
    } catch (IllegalArgumentException e) {
      throw wrong(ROLE_MAP, e.getMessage() + "; expected idp-name=role[,idp-name=role...]");
    }
    String issuer = trimmed(settings.apply(ISSUER));
    String location = trimmed(settings.apply(KEY_LOCATION));
    URL jwksUrl = null;
    JwksTokenVerifier.Rules rules = null;
    if (location != null && location.toLowerCase(Locale.ROOT).matches("^https?://.*")) {
      try {
        jwksUrl = URI.create(location).toURL();
      } catch (IllegalArgumentException | java.net.MalformedURLException e) {
        throw wrong(KEY_LOCATION, "'" + location + "' is not a URL: " + e.getMessage());
      }
      if (issuer == null) {
        throw wrong(ISSUER, "is not set; it must be the IdP's issuer (the tokens' iss)");
      }
      rules =
          new JwksTokenVerifier.Rules(
              issuer,
              algorithms(trimmed(settings.apply(ALGORITHM))),
              list(settings.apply(AUDIENCES)),
              seconds(TOKEN_AGE, settings.apply(TOKEN_AGE)),
              orZero(seconds(CLOCK_SKEW, settings.apply(CLOCK_SKEW))));
    }
    String scope = trimmed(settings.apply(OIDC_SCOPE));
    if (scope != null) {
      scope = String.join(" ", scope.split("\\s+"));
      // RFC 6749's scope-token characters: it goes into the authorization request as it is
      if (!scope.matches("[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*")) {
        throw wrong(
            OIDC_SCOPE,
            "'" + scope + "' is not a list of OAuth scopes (separated by spaces, no quotes or \\)");
      }
    }
    return new SingleSignOn(
        new TokenRoles(rolesClaim, roleMap),
        issuer,
        trimmed(settings.apply(OIDC_CLIENT_ID)),
        scope,
        location,
        jwksUrl,
        rules);
  }

  public TokenRoles roles() {
    return roles;
  }

  /** The accepted {@code iss}, which is also where the console finds the IdP. */
  public String issuer() {
    return issuer;
  }

  /** The console's client id at the IdP, or null when the console has no SSO sign-in. */
  public String clientId() {
    return clientId;
  }

  /**
   * Scopes the console asks for besides {@code openid profile} (separated by one space), or null.
   */
  public String scope() {
    return scope;
  }

  /** Our verifier, for an IdP's JWKS URL; null when Payara's MP-JWT store verifies tokens. */
  public JwksTokenVerifier verifier() {
    return verifier;
  }

  boolean verifiesWithJwksUrl() {
    return jwksUrl != null;
  }

  JwksTokenVerifier.Rules rules() {
    return rules;
  }

  /** One line for the startup log. */
  public String describe() {
    String keys =
        jwksUrl != null
            ? "keys from " + jwksUrl + " (fetched again for a new key id)"
            : "keys from " + (keyLocation == null ? "mp.jwt.verify.publickey" : keyLocation);
    return "Single sign-on: issuer "
        + issuer
        + ", "
        + keys
        + ", roles from groups"
        + (roles.rolesClaim() == null ? "" : " and " + roles.rolesClaim())
        + (roles.roleMap().size() == 0
            ? ""
            : ", " + roles.roleMap().size() + " IdP name(s) mapped by " + ROLE_MAP)
        + (clientId == null ? "" : ", console client " + clientId)
        + (clientId == null || scope == null ? "" : " (scope " + scope + ")");
  }

  private static Set<JWSAlgorithm> algorithms(String value) {
    if (value == null) {
      return Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    }
    if (value.equals("RS256") || value.equals("ES256")) {
      return Set.of(JWSAlgorithm.parse(value));
    }
    throw wrong(ALGORITHM, "'" + value + "' is not RS256 or ES256");
  }

  private static Set<String> list(String value) {
    if (value == null || value.isBlank()) {
      return Set.of();
    }
    return Arrays.stream(value.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toCollection(LinkedHashSet::new));
  }

  private static Long seconds(String name, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    long n =
        WholeNumbers.lenient(value)
            .orElseThrow(
                () -> wrong(name, "must be a whole number of seconds, got '" + value + "'"));
    if (n < 0) {
      throw wrong(name, "must not be negative, got " + n);
    }
    return n;
  }

  private static long orZero(Long value) {
    return value == null ? 0 : value;
  }

  private static String trimmed(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }

  private static IllegalArgumentException wrong(String setting, String why) {
    String env = setting.toUpperCase(Locale.ROOT).replace('.', '_');
    return new IllegalArgumentException(Settings.describe(env) + " " + why);
  }
}
