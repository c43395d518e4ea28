package dev.jobserver.schedule;

import dev.jobserver.job.InvalidJobDataException;
import dev.jobserver.job.JobTypeCatalog;
import java.util.Locale;
import java.util.Map;

/**
 * A schedule as a client defines it (create, or replace): checked field by field, each mistake an
 * {@link InvalidScheduleException} naming the field.
 *
 * @param timeZone an IANA zone, default UTC
 * @param overlap "skip" (default) or "allow"
 * @param misfire "skip" (default) or "run_once"
 */
public record ScheduleDefinition(
    String name,
    String type,
    Map<String, String> data,
    String cron,
    String every,
    String timeZone,
    String overlap,
    String misfire,
    boolean paused) {

  public static final int MAX_NAME = 200;

  /**
   * The schedule this definition makes, checked: its next due time is the first after {@code now}.
   */
  public Schedule toSchedule(
      JobTypeCatalog types, String id, String actor, long createdAt, long now) {
    if (type == null || type.isEmpty()) {
      throw new InvalidScheduleException("type", "a registered job type is required");
    }
    if (!types.contains(type)) {
      throw new InvalidScheduleException("type", "unknown job type: " + shown(type));
    }
    try {
      types.checkData(type, data == null ? Map.of() : data);
    } catch (InvalidJobDataException e) {
      throw new InvalidScheduleException("data." + e.key(), e.problem());
    }
    if (name != null && name.length() > MAX_NAME) {
      throw new InvalidScheduleException("name", "at most " + MAX_NAME + " characters");
    }
    Schedule.Overlap o = parse(Schedule.Overlap.class, "overlap", overlap, Schedule.Overlap.SKIP);
    Schedule.Misfire m = parse(Schedule.Misfire.class, "misfire", misfire, Schedule.Misfire.SKIP);
    String zone = timeZone == null || timeZone.isEmpty() ? "UTC" : timeZone;
    String c = cron == null || cron.isBlank() ? null : cron.trim();
    String e = every == null || every.isBlank() ? null : every.trim();
    Timing timing = Timing.of(c, e, zone);
    return new Schedule(
        id,
        name,
        type,
        data == null ? Map.of() : Map.copyOf(data),
        c,
        e,
        zone,
        paused,
        o,
        m,
        timing.next(now).orElse(Long.MAX_VALUE),
        null,
        null,
        null,
        0,
        0,
        0,
        actor,
        createdAt,
        now);
  }

  private static <E extends Enum<E>> E parse(
      Class<E> kind, String field, String value, E fallback) {
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    for (E e : kind.getEnumConstants()) {
      if (e.name().toLowerCase(Locale.ROOT).equals(value)) {
        return e;
      }
    }
    StringBuilder allowed = new StringBuilder();
    for (E e : kind.getEnumConstants()) {
      allowed.append(allowed.length() == 0 ? "" : " or ").append(e.name().toLowerCase(Locale.ROOT));
    }
    throw new InvalidScheduleException(
        field, "must be " + allowed + ", got '" + shown(value) + "'");
  }

  private static String shown(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
