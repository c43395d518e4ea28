package dev.jobserver.store;

import dev.jobserver.job.JobFields;
import dev.jobserver.job.JobPages;
import dev.jobserver.job.JobQuery;
import dev.jobserver.job.JobRecord;
import dev.jobserver.job.JobStatus;
import dev.jobserver.job.StoreException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.Writer;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.function.BooleanSupplier;

/** The built-in export (the job_export type): jobs as CSV, read as a streamed list. */
@ApplicationScoped
public class JobExport {

  @Inject private JobReads reads;

  public JobExport() {}

  private JobExport(JobReads reads) {
    this.reads = reads;
  }

  /** An export over the given reads (tests). */
  public static JobExport over(JobReads reads) {
    return new JobExport(reads);
  }

  /**
   * Writes the matching jobs as CSV, oldest first, page by page (see {@link JobReads#pages}): no
   * connection or transaction is held while the CSV is written, however long the export takes, and
   * memory holds one page. A job created while the export runs is in it if its page has not been
   * read yet.
   *
   * @return how many jobs were written
   */
  public long exportCsv(
      String type, Collection<JobStatus> statuses, long since, Writer out, BooleanSupplier stop)
      throws SQLException, IOException {
    JobQuery q =
        new JobQuery(
            type == null ? List.of() : List.of(type),
            statuses,
            since,
            null,
            null,
            false,
            null,
            0,
            -1);
    out.write("id,type,status,priority,create_at,start_at,last_activity_at,progress,data\r\n");
    long[] count = {0};
    JobPages pages = reads.pages(q, JobFields.WITHOUT_TRACES);
    List<JobRecord> first;
    try {
      first = pages.next();
    } catch (StoreException e) {
      throw e.getCause() instanceof SQLException s ? s : new SQLException(e.getMessage(), e);
    }
    try {
      pages.forEach(
          first,
          job -> {
            if ((count[0] & 1023) == 0 && stop.getAsBoolean()) {
              throw new IOException("export stopped");
            }
            out.write(csv(job.id()));
            out.write(',');
            out.write(csv(job.type()));
            out.write(',');
            out.write(job.status().name());
            out.write(',');
            out.write(Integer.toString(job.priority()));
            out.write(',');
            out.write(Long.toString(job.createAt()));
            out.write(',');
            out.write(Long.toString(job.startAt()));
            out.write(',');
            out.write(Long.toString(job.lastActivityAt()));
            out.write(',');
            out.write(Integer.toString(job.progress()));
            out.write(',');
            out.write(csv(job.dataJson()));
            out.write("\r\n");
            count[0]++;
          });
    } catch (StoreException e) {
      throw e.getCause() instanceof SQLException s ? s : new SQLException(e.getMessage(), e);
    }
    return count[0];
  }

  static String csv(String value) {
    if (value == null) {
      return "";
    }
    if (value.indexOf(',') < 0
        && value.indexOf('"') < 0
        && value.indexOf('\n') < 0
        && value.indexOf('\r') < 0) {
      return value;
    }
    return '"' + value.replace("\"", "\"\"") + '"';
  }
}
