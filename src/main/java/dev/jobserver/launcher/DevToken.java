package dev.jobserver.launcher;

import dev.jobserver.database.DatabaseSettings;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Prints a token signed with the development key: {@code java -cp target/classes
 * dev.jobserver.launcher.DevToken [subject] [groups,comma,separated] [hours]}.
 */
public final class DevToken {
  private DevToken() {}

  public static void main(String[] args) throws Exception {
    String subject = args.length > 0 ? args[0] : "developer";
    List<String> groups = args.length > 1 ? Arrays.asList(args[1].split(",")) : Launcher.ALL_ROLES;
    long hours = args.length > 2 ? Long.parseLong(args[2]) : 24;
    Path dir = DatabaseSettings.dataDir();
    DevKeys.ensure(dir);
    System.out.println(
        DevKeys.token(DevKeys.privateKey(dir), DevKeys.ISSUER, subject, groups, hours * 3600));
  }
}
