package dev.jobserver.schedule;

/**
 * A change to a schedule, with who made it: create, replace, pause, resume, trigger or delete.
 *
 * @param at epoch ms
 */
public record ScheduleEvent(
    String scheduleId, long at, String actor, String action, String message) {}
