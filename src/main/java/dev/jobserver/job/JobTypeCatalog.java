package dev.jobserver.job;

import java.util.Map;

/**
 * The registered job types, as the job model needs to know them: which exist, and how many attempts
 * a job of a type gets. The engine's type registry implements it (the model does not depend on the
 * engine).
 */
public interface JobTypeCatalog {

  boolean contains(String type);

  /** How many runs a job of this type may take (1 = no retries). */
  int maxAttempts(String type);

  /**
   * Checks a new job's data as its type requires (e.g. the {@code http} type's {@code url}).
   *
   * @throws InvalidJobDataException naming the data key that is wrong
   */
  default void checkData(String type, Map<String, String> data) {}
}
