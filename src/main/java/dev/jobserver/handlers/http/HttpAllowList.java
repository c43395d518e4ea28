package dev.jobserver.handlers.http;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where {@code http} jobs may call: the URL prefixes of {@code JOBSERVER_HTTP_ALLOW}. A URL is
 * allowed when its normalised form starts with a prefix at a boundary ({@code
 * https://api.example.com} allows {@code https://api.example.com/x} but not {@code
 * https://api.example.com.evil.net/}). Loopback, link-local, wildcard and cloud metadata addresses
 * are refused, as names or as what a name resolves to, unless the prefix that allows the URL names
 * such a host itself ({@code http://127.0.0.1:9000/}, {@code http://localhost/}).
 */
final class HttpAllowList {

  /** The metadata endpoints of cloud providers, by name and address. */
  private static final List<String> METADATA_NAMES = List.of("metadata.google.internal");

  private static final List<String> METADATA_ADDRESSES =
      List.of("169.254.169.254", "fd00:ec2:0:0:0:0:0:254");

  private final List<String> prefixes;

  private HttpAllowList(List<String> prefixes) {
    this.prefixes = prefixes;
  }

  /**
   * The allow-list of a comma-separated setting; empty when it is null or blank.
   *
   * @throws IllegalArgumentException naming a prefix that is not an http(s) URL
   */
  static HttpAllowList parse(String setting) {
    List<String> out = new ArrayList<>();
    if (setting != null) {
      for (String part : setting.split(",")) {
        String p = part.trim();
        if (p.isEmpty()) {
          continue;
        }
        try {
          out.add(normalise(p));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("the prefix '" + p + "' " + e.getMessage());
        }
      }
    }
    return new HttpAllowList(List.copyOf(out));
  }

  boolean isEmpty() {
    return prefixes.isEmpty();
  }

  List<String> prefixes() {
    return prefixes;
  }

  /**
   * The prefix that allows this URL, checked without a DNS lookup. (A special host written in the
   * URL passes only a prefix that names the same host: a prefix names it explicitly.)
   *
   * @throws IllegalArgumentException saying why the URL is refused
   */
  String check(String url) {
    String normal = normalise(url);
    for (String prefix : prefixes) {
      if (matches(normal, prefix)) {
        return prefix;
      }
    }
    throw new IllegalArgumentException("matches no prefix of JOBSERVER_HTTP_ALLOW");
  }

  /** Looks a host name up: the system's resolver, or a test's. */
  interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  /**
   * Checks what the URL's host resolves to now (each call: a name that resolved to a public address
   * at creation may not point at this machine at run time).
   *
   * @throws IllegalArgumentException when an address is refused
   * @throws UnknownHostException when the name does not resolve
   */
  InetAddress[] resolve(String url) throws UnknownHostException {
    return resolve(url, InetAddress::getAllByName);
  }

  InetAddress[] resolve(String url, Resolver resolver) throws UnknownHostException {
    String prefix = check(url);
    String host = URI.create(normalise(url)).getHost();
    InetAddress[] addresses = resolver.resolve(stripBrackets(host));
    if (!namesSpecialHost(prefix)) {
      for (InetAddress a : addresses) {
        if (isSpecial(a)) {
          throw new IllegalArgumentException(
              host
                  + " resolves to "
                  + a.getHostAddress()
                  + ", a loopback, link-local or metadata address; allowed only when a prefix of"
                  + " JOBSERVER_HTTP_ALLOW names it");
        }
      }
    }
    return addresses;
  }

  /** Whether the address is loopback, link-local, the wildcard, multicast or a metadata one. */
  static boolean isSpecial(InetAddress a) {
    if (a.isLoopbackAddress()
        || a.isLinkLocalAddress()
        || a.isAnyLocalAddress()
        || a.isMulticastAddress()) {
      return true;
    }
    if (a instanceof Inet6Address) {
      byte[] b = a.getAddress();
      boolean v4Mapped = true; // ::ffff:a.b.c.d given as bytes (Java folds most of these itself)
      for (int i = 0; i < 10; i++) {
        v4Mapped &= b[i] == 0;
      }
      v4Mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
      if (v4Mapped) {
        try {
          return isSpecial(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
        } catch (UnknownHostException impossible) {
          return true;
        }
      }
    }
    return METADATA_ADDRESSES.contains(a.getHostAddress());
  }

  /**
   * Whether a host as written (a name or an address literal) is special: localhost names, metadata
   * names, or a special address literal. No DNS lookup.
   */
  static boolean isSpecialName(String host) {
    String h = stripBrackets(host.toLowerCase(Locale.ROOT));
    if (h.equals("localhost") || h.endsWith(".localhost") || METADATA_NAMES.contains(h)) {
      return true;
    }
    if (isAddressLiteral(h)) {
      try {
        return isSpecial(InetAddress.getByName(h)); // a literal: parsed, not looked up
      } catch (UnknownHostException e) {
        return true;
      }
    }
    return false;
  }

  private static boolean namesSpecialHost(String prefix) {
    return isSpecialName(hostOf(prefix));
  }

  private static boolean isAddressLiteral(String h) {
    return h.contains(":") || h.matches("[0-9.]+");
  }

  /**
   * Whether {@code url} starts with {@code prefix} where a prefix may end: after it comes nothing,
   * a path, a query, or the prefix ends with a slash.
   */
  static boolean matches(String url, String prefix) {
    if (!url.startsWith(prefix)) {
      return false;
    }
    if (url.length() == prefix.length() || prefix.endsWith("/")) {
      return true;
    }
    char next = url.charAt(prefix.length());
    return next == '/' || next == '?';
  }

  /**
   * The URL as prefixes are compared with: scheme and host in lower case, the default port dropped,
   * dot segments resolved.
   *
   * @throws IllegalArgumentException when it is no absolute http(s) URL, has user information or a
   *     fragment, climbs above the root, or hides a path separator in percent-encoding
   */
  static String normalise(String url) {
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("is not a URL: " + e.getReason());
    }
    String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(Locale.ROOT);
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException("must be an absolute http:// or https:// URL");
    }
    if (u.getRawUserInfo() != null) {
      throw new IllegalArgumentException("must not have user information (user@host)");
    }
    if (u.getHost() == null) {
      throw new IllegalArgumentException("must name a host");
    }
    String path = u.getRawPath() == null ? "" : u.getRawPath();
    String lower = path.toLowerCase(Locale.ROOT);
    if (lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c")) {
      throw new IllegalArgumentException("must not percent-encode '.', '/' or '\\' in its path");
    }
    if (u.getRawFragment() != null) {
      throw new IllegalArgumentException("must not have a fragment (#...)");
    }
    String normalPath = "";
    if (!path.isEmpty() || u.getRawQuery() != null) {
      normalPath = URI.create("http://h" + (path.isEmpty() ? "/" : path)).normalize().getRawPath();
      if (normalPath.startsWith("/..")) {
        throw new IllegalArgumentException("must not climb above the root with '..'");
      }
    }
    int port = u.getPort();
    boolean defaultPort =
        port == -1
            || (scheme.equals("http") && port == 80)
            || (scheme.equals("https") && port == 443);
    return scheme
        + "://"
        + u.getHost().toLowerCase(Locale.ROOT)
        + (defaultPort ? "" : ":" + port)
        + normalPath
        + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
  }

  private static String hostOf(String normalUrl) {
    return URI.create(normalUrl).getHost();
  }

  private static String stripBrackets(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }
}
