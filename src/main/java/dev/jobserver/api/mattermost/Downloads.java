package dev.jobserver.api.mattermost;

import dev.jobserver.job.JobResultInfo;
import dev.jobserver.service.JobService;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.nio.charset.StandardCharsets;
import java.util.Date;

/** Serves a result file, whole or one byte range, streamed from the database. */
public final class Downloads {
  private Downloads() {}

  /**
   * [first, last] of a single "bytes=" range, null for none or one we serve whole, {-1,-1}
   * unsatisfiable.
   */
  static long[] range(String header, long size) {
    if (header == null || !header.trim().startsWith("bytes=")) {
      return null;
    }
    String spec = header.trim().substring(6).trim();
    if (spec.contains(",")) {
      return null; // several ranges: serve the whole file, as RFC 9110 allows
    }
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    try {
      String a = spec.substring(0, dash).trim();
      String b = spec.substring(dash + 1).trim();
      long first;
      long last;
      if (a.isEmpty()) {
        long suffix = Long.parseLong(b);
        if (suffix <= 0 || size == 0) {
          return new long[] {-1, -1};
        }
        first = Math.max(0, size - suffix);
        last = size - 1;
      } else {
        first = Long.parseLong(a);
        last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
        if (first >= size || last < first) {
          return new long[] {-1, -1};
        }
      }
      return new long[] {first, last};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  public static Response response(JobResultInfo info, String rangeHeader, JobService jobs) {
    long size = info.size();
    long[] r = range(rangeHeader, size);
    String disposition =
        "attachment; filename=\""
            + info.fileName().replace("\"", "")
            + "\"; filename*=UTF-8''"
            + java.net.URLEncoder.encode(info.fileName(), StandardCharsets.UTF_8)
                .replace("+", "%20");
    Date modified = new Date(info.createdAt());
    if (r != null && r[0] < 0) {
      return Response.status(416)
          .header("Content-Range", "bytes */" + size)
          .header("Accept-Ranges", "bytes")
          .type("application/json")
          .entity("{\"message\":\"Range not satisfiable\"}")
          .build();
    }
    long first = r == null ? 0 : r[0];
    long last = r == null ? size - 1 : r[1];
    StreamingOutput body =
        out -> {
          if (last >= first) {
            jobs.copyResult(info, first, last, out);
          }
        };
    Response.ResponseBuilder b =
        Response.status(r == null ? 200 : 206)
            .entity(body)
            .type(info.contentType())
            .header("Content-Length", last - first + 1)
            .header("Content-Disposition", disposition)
            .header("Accept-Ranges", "bytes")
            .lastModified(modified);
    if (r != null) {
      b.header("Content-Range", "bytes " + first + "-" + last + "/" + size);
    }
    return b.build();
  }
}
