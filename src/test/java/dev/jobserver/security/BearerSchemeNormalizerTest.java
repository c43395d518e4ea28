package dev.jobserver.security;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRequestEvent;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

/**
 * The normaliser against a stand-in for Payara's request objects (the same chain of fields and
 * methods it reaches through: request, getCoyoteRequest, getRequest, getHeaders, getValue,
 * setString).
 */
class BearerSchemeNormalizerTest {

  /** The header value in the connector's table. */
  public static final class HeaderValue {
    final boolean broken;
    String value;

    HeaderValue(String value, boolean broken) {
      this.value = value;
      this.broken = broken;
    }

    public void setString(String s) {
      if (broken) {
        throw new IllegalStateException("the header table is being recycled");
      }
      value = s;
    }
  }

  public static final class Headers {
    final HeaderValue authorization;

    Headers(HeaderValue authorization) {
      this.authorization = authorization;
    }

    public HeaderValue getValue(String name) {
      return "Authorization".equals(name) ? authorization : null;
    }
  }

  public static final class Packet {
    final Headers headers;

    Packet(Headers headers) {
      this.headers = headers;
    }

    public Headers getHeaders() {
      return headers;
    }
  }

  public static final class GrizzlyRequest {
    final Packet packet;

    GrizzlyRequest(Packet packet) {
      this.packet = packet;
    }

    public Packet getRequest() {
      return packet;
    }
  }

  public static final class CatalinaRequest {
    final GrizzlyRequest coyote;

    CatalinaRequest(GrizzlyRequest coyote) {
      this.coyote = coyote;
    }

    public GrizzlyRequest getCoyoteRequest() {
      return coyote;
    }
  }

  /** The servlet request facade: a field named {@code request} holds the connector's request. */
  static final class Facade extends HttpServletRequestWrapper {
    @SuppressWarnings("unused")
    private final CatalinaRequest request;

    private final HeaderValue authorization;

    Facade(HeaderValue authorization) {
      super(nothing(HttpServletRequest.class));
      this.authorization = authorization;
      this.request =
          new CatalinaRequest(new GrizzlyRequest(new Packet(new Headers(authorization))));
    }

    @Override
    public String getHeader(String name) {
      return "Authorization".equalsIgnoreCase(name) ? authorization.value : null;
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T nothing(Class<T> type) {
    return (T)
        Proxy.newProxyInstance(
            type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> null);
  }

  private static String normalise(BearerSchemeNormalizer n, HeaderValue value) {
    n.requestInitialized(new ServletRequestEvent(nothing(ServletContext.class), new Facade(value)));
    return value.value;
  }

  @Test
  void rewritesTheSchemeInAnyLetterCase() {
    BearerSchemeNormalizer n = new BearerSchemeNormalizer();
    assertEquals("Bearer abc", normalise(n, new HeaderValue("BEARER abc", false)));
    assertEquals("Bearer abc", normalise(n, new HeaderValue("bearer   abc ", false)));
    assertEquals("Bearer abc", normalise(n, new HeaderValue("Bearer abc", false)));
    assertEquals("Basic dTpw", normalise(n, new HeaderValue("Basic dTpw", false)));
  }

  @Test
  void aRequestThatCannotBeRewrittenChangesNothingForTheNext() {
    BearerSchemeNormalizer n = new BearerSchemeNormalizer();
    HeaderValue broken = new HeaderValue("BEARER abc", true);
    assertEquals("BEARER abc", normalise(n, broken), "left as it was sent");
    // before: the first failure switched the rewrite off until the server restarted
    for (int i = 0; i < 3; i++) {
      assertEquals("Bearer xyz", normalise(n, new HeaderValue("BEARER xyz", false)));
      assertEquals("BEARER abc", normalise(n, new HeaderValue("BEARER abc", true)));
    }
  }
}
