package dev.jobserver.api.jobserver;

import static dev.jobserver.job.JsonProviders.JSON;

import dev.jobserver.schedule.Schedule;
import dev.jobserver.schedule.ScheduleEvent;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.util.List;

/**
 * A schedule as the native API shows it. {@code next_run_at} is null while it is paused (or when
 * its cron has no future time); {@code runs} (an extension) counts its due times: fired, skipped
 * because the previous job was unfinished, missed while no instance was up.
 */
final class ScheduleView {

  private ScheduleView() {}

  private static String iso(long millis) {
    return NativeTimes.iso(millis);
  }

  static JsonObject of(Schedule s) {
    JsonObjectBuilder data = JSON.createObjectBuilder();
    s.data().forEach(data::add);
    JsonObjectBuilder b =
        JSON.createObjectBuilder().add("id", s.id()).add("type", s.type()).add("data", data);
    nullable(b, "name", s.name());
    nullable(b, "cron", s.cron());
    nullable(b, "every", s.every());
    b.add("time_zone", s.timeZone())
        .add("paused", s.paused())
        .add("overlap", s.overlap().wire())
        .add("misfire", s.misfire().wire());
    time(b, "next_run_at", s.paused() || s.nextRunAt() == Long.MAX_VALUE ? null : s.nextRunAt());
    time(b, "last_run_at", s.lastRunAt());
    nullable(b, "last_job_id", s.lastJobId());
    nullable(b, "created_by", s.createdBy());
    time(b, "created_at", s.createdAt());
    time(b, "updated_at", s.updatedAt());
    b.add(
        "runs",
        JSON.createObjectBuilder()
            .add("fired", s.fired())
            .add("skipped", s.skipped())
            .add("missed", s.missed()));
    return b.build();
  }

  static JsonObject list(List<Schedule> schedules) {
    JsonArrayBuilder a = JSON.createArrayBuilder();
    schedules.forEach(s -> a.add(of(s)));
    return JSON.createObjectBuilder().add("schedules", a).build();
  }

  static String events(List<ScheduleEvent> events) {
    JsonArrayBuilder a = JSON.createArrayBuilder();
    for (ScheduleEvent e : events) {
      JsonObjectBuilder b =
          JSON.createObjectBuilder()
              .add("at", iso(e.at()))
              .add("actor", e.actor())
              .add("action", e.action());
      nullable(b, "message", e.message());
      a.add(b);
    }
    return a.build().toString();
  }

  private static void nullable(JsonObjectBuilder b, String name, String value) {
    if (value == null) {
      b.addNull(name);
    } else {
      b.add(name, value);
    }
  }

  private static void time(JsonObjectBuilder b, String name, Long millis) {
    if (millis == null) {
      b.addNull(name);
    } else {
      b.add(name, iso(millis));
    }
  }
}
