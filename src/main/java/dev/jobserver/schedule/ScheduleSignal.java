package dev.jobserver.schedule;

/** A schedule was created or changed on this instance: its firing loop should look at once. */
public record ScheduleSignal(String scheduleId) {}
