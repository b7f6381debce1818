/**
 * Errors a drill step throws. Their `name`s are API: the state machine's `Retry` and `Catch`
 * blocks match on them, so each class sets its name explicitly (minified bundles rename classes).
 */
export class DrillError extends Error {
  override name = 'DrillError';
}

/** The configuration or a step's input is invalid; nothing was created. */
export class ConfigError extends DrillError {
  override name = 'ConfigError';
  /** One line per bad field: `path: problem`. */
  readonly problems: string[];
  constructor(message: string, problems: string[] = []) {
    super(problems.length ? `${message}\n${problems.map((p) => `  ${p}`).join('\n')}` : message);
    this.problems = problems;
  }
}

/** The source could not be snapshotted, or the snapshot ended in a failed state. */
export class SnapshotFailedError extends DrillError {
  override name = 'SnapshotFailedError';
}

/** The snapshot did not become available within the target's time limit. */
export class SnapshotTimeoutError extends DrillError {
  override name = 'SnapshotTimeoutError';
}

/** The restore request was refused, or the restored copy ended in a state it cannot leave. */
export class RestoreFailedError extends DrillError {
  override name = 'RestoreFailedError';
}

/** The restored copy did not become available within the target's time limit. */
export class RestoreTimeoutError extends DrillError {
  override name = 'RestoreTimeoutError';
}

/** A resource cannot be deleted yet (still being created, or busy); teardown is retried. */
export class TeardownPendingError extends DrillError {
  override name = 'TeardownPendingError';
}

/** A delete was refused because the resource is not one this drill created. */
export class ForeignResourceError extends DrillError {
  override name = 'ForeignResourceError';
}

/** Thrown by the Fail state of a drill whose checks failed (verdict FAIL). */
export class DrillFailedError extends DrillError {
  override name = 'DrillFailedError';
}

/** Thrown by the Fail state of a drill that could not complete (verdict ERROR). */
export class DrillErroredError extends DrillError {
  override name = 'DrillErroredError';
}

/** Every error class whose name the workflow definition may use. */
export const workflowErrors = [
  ConfigError,
  SnapshotFailedError,
  SnapshotTimeoutError,
  RestoreFailedError,
  RestoreTimeoutError,
  TeardownPendingError,
  ForeignResourceError,
  DrillFailedError,
  DrillErroredError,
] as const;
