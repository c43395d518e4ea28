package dev.jobserver.job;

import java.io.IOException;
import java.util.List;

/**
 * A list of jobs read a page at a time. Each page is one short read on a connection that is
 * released before the page is returned, so whoever writes the jobs out (to a client that may read
 * slowly or stop reading) holds no database connection and no transaction meanwhile, and memory
 * holds one page: at most a few hundred jobs and about a megabyte, however big the list.
 */
public interface JobPages {

  /**
   * The next page, in list order; empty once the list is done.
   *
   * @throws StoreException if the database fails the read
   */
  List<JobRecord> next();

  /** A consumer of listed jobs that may fail writing its output. */
  interface Sink {
    void accept(JobRecord job) throws IOException;
  }

  /**
   * Hands the jobs of {@code first} (the page read before the response was begun), then of every
   * following page, to the sink.
   */
  default void forEach(List<JobRecord> first, Sink sink) throws IOException {
    for (List<JobRecord> page = first; !page.isEmpty(); page = next()) {
      for (int i = 0; i < page.size(); i++) {
        JobRecord job = page.get(i);
        page.set(i, null); // a job written out is garbage at once, even while the client stalls
        sink.accept(job);
      }
    }
  }
}
