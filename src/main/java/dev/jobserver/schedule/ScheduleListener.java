package dev.jobserver.schedule;

/** Told what each schedule did in a firing round on this instance (metrics). */
public interface ScheduleListener {

  /**
   * @param created due times that created a job
   * @param skipped due times that created none: the previous job was unfinished (overlap skip)
   * @param missed due times that passed while no instance fired them (misfire)
   */
  default void fired(String scheduleId, int created, long skipped, long missed) {}
}
