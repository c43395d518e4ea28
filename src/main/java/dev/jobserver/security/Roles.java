package dev.jobserver.security;

/** Role names, as the token's groups claim carries them. */
public final class Roles {
  public static final String MANAGE_JOBS = "manage_jobs";
  public static final String READ_JOBS = "read_jobs";
  public static final String TAIPY_READER = "TAIPY_READER";
  public static final String TAIPY_EDITOR = "TAIPY_EDITOR";
  public static final String TAIPY_EXECUTOR = "TAIPY_EXECUTOR";
  public static final String TAIPY_ADMIN = "TAIPY_ADMIN";

  /** A remote worker's token: it claims and runs jobs of remote types, and may do nothing else. */
  public static final String JOBS_WORKER = "jobs_worker";

  public static final String[] ALL = {
    MANAGE_JOBS, READ_JOBS, TAIPY_READER, TAIPY_EDITOR, TAIPY_EXECUTOR, TAIPY_ADMIN, JOBS_WORKER
  };

  private Roles() {}
}
