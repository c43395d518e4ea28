package dev.jobserver.security;

/** Role names, as the token's groups claim carries them. */
public final class Roles {
  public static final String MANAGE_JOBS = "manage_jobs";
  public static final String READ_JOBS = "read_jobs";
  public static final String TAIPY_READER = "TAIPY_READER";
  public static final String TAIPY_EDITOR = "TAIPY_EDITOR";
  public static final String TAIPY_EXECUTOR = "TAIPY_EXECUTOR";
  public static final String TAIPY_ADMIN = "TAIPY_ADMIN";

  public static final String[] ALL = {
    MANAGE_JOBS, READ_JOBS, TAIPY_READER, TAIPY_EDITOR, TAIPY_EXECUTOR, TAIPY_ADMIN
  };

  private Roles() {}
}
