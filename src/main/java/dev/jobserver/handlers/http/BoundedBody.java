package dev.jobserver.handlers.http;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read up to a limit: the first {@code limit} bytes, then the response is let go
 * (its connection closed) and the body marked truncated. Never more than the limit in memory.
 */
record BoundedBody(byte[] bytes, boolean truncated) {

  static HttpResponse.BodyHandler<BoundedBody> handler(int limit) {
    return info -> new Subscriber(limit);
  }

  /** The first {@code n} characters of the body as text, for an error message. */
  String start(int n) {
    String s =
        new String(
            bytes, 0, Math.min(bytes.length, n * 4), java.nio.charset.StandardCharsets.UTF_8);
    return s.length() <= n ? s : s.substring(0, n) + "...";
  }

  private static final class Subscriber implements HttpResponse.BodySubscriber<BoundedBody> {
    private final int limit;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final CompletableFuture<BoundedBody> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    Subscriber(int limit) {
      this.limit = limit;
    }

    @Override
    public CompletionStage<BoundedBody> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      boolean over = false;
      for (ByteBuffer b : items) {
        int n = Math.min(limit - out.size(), b.remaining());
        byte[] chunk = new byte[n];
        b.get(chunk);
        out.write(chunk, 0, n);
        over |= b.hasRemaining();
      }
      if (over) {
        subscription.cancel();
        result.complete(new BoundedBody(out.toByteArray(), true));
      } else {
        subscription.request(1);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(new BoundedBody(out.toByteArray(), false));
    }
  }
}
