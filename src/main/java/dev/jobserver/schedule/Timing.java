package dev.jobserver.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When a schedule is due: a cron expression in a time zone, computed by cron-utils (5 fields as
 * Unix cron, or 6 with seconds first as Spring's; zones and DST as cron-utils defines them: a time
 * that does not exist on the day clocks go forward is skipped that day, one that exists twice on
 * the day they go back fires once), or a fixed interval (an ISO-8601 duration of at least a
 * second).
 */
public abstract class Timing {

  /** Shortest interval a schedule may have. */
  public static final Duration MIN_EVERY = Duration.ofSeconds(1);

  private static final CronParser UNIX =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser WITH_SECONDS =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));

  /** Parsed crons by text: parsing costs more than computing a due time. */
  private static final ConcurrentHashMap<String, ExecutionTime> CRONS = new ConcurrentHashMap<>();

  private static final Set<String> ZONES = ZoneId.getAvailableZoneIds();

  /** The first due time strictly after {@code afterMillis} (epoch ms), or empty if none. */
  public abstract Optional<Long> next(long afterMillis);

  /**
   * The last due time strictly before {@code beforeMillis} and at or after {@code fromMillis} (a
   * due time), or empty: how a catch-up after downtime jumps over the due times it missed.
   */
  public abstract Optional<Long> lastBefore(long beforeMillis, long fromMillis);

  /** The due times in {@code [fromMillis, beforeMillis)}, counted up to {@code cap}. */
  public abstract long count(long fromMillis, long beforeMillis, long cap);

  /** An IANA zone id, or the exception naming {@code time_zone}. */
  public static ZoneId zone(String timeZone) {
    if (timeZone == null || timeZone.isEmpty()) {
      return ZoneId.of("UTC");
    }
    if (!ZONES.contains(timeZone)) {
      throw new InvalidScheduleException(
          "time_zone",
          "'" + shown(timeZone) + "' is not an IANA time zone (e.g. UTC, Europe/Berlin)");
    }
    return ZoneId.of(timeZone);
  }

  /**
   * The timing of exactly one of {@code cron} and {@code every}.
   *
   * @throws InvalidScheduleException naming cron, every or time_zone
   */
  public static Timing of(String cron, String every, String timeZone) {
    ZoneId zone = zone(timeZone);
    boolean hasCron = cron != null && !cron.isBlank();
    boolean hasEvery = every != null && !every.isBlank();
    if (hasCron == hasEvery) {
      throw new InvalidScheduleException(
          hasCron ? "every" : "cron",
          "give exactly one of cron (5 fields, or 6 with seconds first) and every (an ISO-8601"
              + " duration such as PT10S)");
    }
    return hasCron ? cron(cron.trim(), zone) : every(Timing.parseEvery(every.trim()));
  }

  /** An ISO-8601 duration of at least a second, or the exception naming {@code every}. */
  public static Duration parseEvery(String every) {
    Duration d;
    try {
      d = Duration.parse(every);
    } catch (DateTimeParseException e) {
      throw new InvalidScheduleException(
          "every",
          "'"
              + shown(every)
              + "' is not an ISO-8601 duration of days, hours, minutes or seconds (e.g. PT10S,"
              + " PT1H, P1D)");
    }
    if (d.compareTo(MIN_EVERY) < 0) {
      throw new InvalidScheduleException("every", "must be at least 1 second (PT1S), got " + every);
    }
    return d;
  }

  static Timing cron(String expression, ZoneId zone) {
    String[] fields = expression.split("\\s+");
    if (fields.length != 5 && fields.length != 6) {
      throw new InvalidScheduleException(
          "cron",
          "'"
              + shown(expression)
              + "' has "
              + fields.length
              + " fields; a cron has 5 (minute hour day month weekday) or 6 (seconds first)");
    }
    String normal = String.join(" ", fields);
    ExecutionTime execution =
        CRONS.computeIfAbsent(
            normal,
            e -> {
              try {
                Cron parsed = (fields.length == 5 ? UNIX : WITH_SECONDS).parse(e);
                parsed.validate();
                return ExecutionTime.forCron(parsed);
              } catch (IllegalArgumentException bad) {
                throw new InvalidScheduleException(
                    "cron", "'" + shown(e) + "' is not a valid cron: " + bad.getMessage());
              }
            });
    if (CRONS.size() > 10_000) {
      CRONS.clear(); // bounded; reparsed on demand
    }
    Timing t = new CronTiming(execution, zone);
    if (t.next(System.currentTimeMillis()).isEmpty()) {
      throw new InvalidScheduleException("cron", "'" + shown(expression) + "' never fires");
    }
    return t;
  }

  static Timing every(Duration every) {
    return new EveryTiming(every.toMillis());
  }

  private static String shown(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }

  private static final class CronTiming extends Timing {
    private final ExecutionTime execution;
    private final ZoneId zone;

    CronTiming(ExecutionTime execution, ZoneId zone) {
      this.execution = execution;
      this.zone = zone;
    }

    // cron-utils keeps the fraction of a second it is given (after 10:00:00.266 comes
    // 10:00:01.266): it is given whole seconds, and crons fire on whole seconds
    private ZonedDateTime at(long millis) {
      return ZonedDateTime.ofInstant(
          Instant.ofEpochMilli(Math.floorDiv(millis, 1000) * 1000), zone);
    }

    @Override
    public Optional<Long> next(long afterMillis) {
      return execution.nextExecution(at(afterMillis)).map(t -> t.toInstant().toEpochMilli());
    }

    @Override
    public Optional<Long> lastBefore(long beforeMillis, long fromMillis) {
      // strictly before 10:00:05.500 includes 10:00:05: ask for the last before 10:00:06
      long ceiling = Math.floorDiv(beforeMillis + 999, 1000) * 1000;
      return execution
          .lastExecution(at(ceiling))
          .map(t -> t.toInstant().toEpochMilli())
          .filter(t -> t >= fromMillis && t < beforeMillis);
    }

    @Override
    public long count(long fromMillis, long beforeMillis, long cap) {
      long n = 0;
      Optional<Long> t = Optional.of(fromMillis);
      while (t.isPresent() && t.get() < beforeMillis && n < cap) {
        n++;
        t = next(t.get());
      }
      return n;
    }
  }

  private static final class EveryTiming extends Timing {
    private final long everyMillis;

    EveryTiming(long everyMillis) {
      this.everyMillis = everyMillis;
    }

    @Override
    public Optional<Long> next(long afterMillis) {
      return Optional.of(afterMillis + everyMillis);
    }

    @Override
    public Optional<Long> lastBefore(long beforeMillis, long fromMillis) {
      if (beforeMillis <= fromMillis) {
        return Optional.empty();
      }
      return Optional.of(fromMillis + (beforeMillis - 1 - fromMillis) / everyMillis * everyMillis);
    }

    @Override
    public long count(long fromMillis, long beforeMillis, long cap) {
      if (beforeMillis <= fromMillis) {
        return 0;
      }
      return Math.min(cap, (beforeMillis - 1 - fromMillis) / everyMillis + 1);
    }
  }
}
