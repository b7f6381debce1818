import {
  DrillError,
  type RestoreFailedError,
  type SnapshotFailedError,
  type TeardownPendingError,
} from '#core/errors.ts';

/** Which request failed, for a message that says what to do about it. */
export interface RdsCall {
  /** The API action, e.g. `CreateDBSnapshot`. */
  action: string;
  /** What it was about: `source orders-prod`, `snapshot drill-orders-...`. */
  subject: string;
  /** The core error a refusal of this call becomes (TeardownPendingError: retried). */
  Failed: typeof SnapshotFailedError | typeof RestoreFailedError | typeof TeardownPendingError;
}

/** What on-call should do about each refusal RDS names, keyed by the SDK error's `name`. */
const remedies: Record<string, (call: RdsCall, message: string) => string> = {
  DBInstanceNotFoundFault: ({ subject }) =>
    `${subject} was not found: check the identifier and the region the drill runs in`,
  DBClusterNotFoundFault: ({ subject }) =>
    `${subject} was not found: check the identifier and the region the drill runs in`,
  DBSnapshotNotFoundFault: ({ subject }) =>
    `${subject} was not found: check the snapshot id, its region, and that it is shared with this account`,
  DBClusterSnapshotNotFoundFault: ({ subject }) =>
    `${subject} was not found: check the snapshot id, its region, and that it is shared with this account`,
  DBClusterQuotaExceededFault: () =>
    'the DB cluster quota of the region is used up: the drill needs one cluster slot while it runs; raise the quota or free a slot',
  InsufficientDBClusterCapacityFault: () =>
    'RDS has no capacity for the restored cluster right now: choose another restore.instanceClass or let the next drill retry',
  InvalidRestoreFault: ({ subject }, message) =>
    `${subject} cannot be restored with these settings (${message}): check restore.instanceClass, the subnet group and the engine version`,
  PointInTimeRestoreNotEnabledFault: ({ subject }) =>
    `${subject} has no point-in-time recovery: turn automated backups on, or drill a snapshot`,
  InvalidDBClusterStateFault: ({ subject }, message) =>
    `${subject} is not in a state that allows this yet (${message})`,
  InvalidDBClusterSnapshotStateFault: ({ subject }, message) =>
    `${subject} is not in a state that allows this yet (${message})`,
  SnapshotQuotaExceededFault: () =>
    'the manual DB snapshot quota of the region is used up: delete old manual snapshots or ask AWS for a higher quota',
  InstanceQuotaExceededFault: () =>
    'the DB instance quota of the region is used up: the drill needs one instance slot while it runs; raise the quota or free a slot',
  StorageQuotaExceededFault: () =>
    'the region has no storage quota left for the copy: raise the allocated-storage quota or free storage',
  InsufficientDBInstanceCapacityFault: () =>
    'RDS has no capacity for the requested instance class right now: choose another restore.instanceClass or let the next drill retry',
  KMSKeyNotAccessibleFault: ({ subject }, message) =>
    `the drill's role cannot use the KMS key of ${subject}: grant it kms:CreateGrant, kms:Decrypt and kms:DescribeKey on that key (${message})`,
  InvalidDBInstanceStateFault: ({ subject }, message) =>
    `${subject} is not in a state that allows this yet (${message})`,
  InvalidDBSnapshotStateFault: ({ subject }, message) =>
    `${subject} is not in a state that allows this yet (${message})`,
  AccessDenied: ({ action }, message) =>
    `the drill's role may not call rds:${action}: ${message} (see the IAM section of the README)`,
  AccessDeniedException: ({ action }, message) =>
    `the drill's role may not call rds:${action}: ${message} (see the IAM section of the README)`,
};

/**
 * Turns an RDS SDK error into the core's named error, with a message an on-call engineer can act
 * on. Errors that are already the core's pass through; throttling never reaches here (the SDK
 * retries it).
 */
export function toDrillError(error: unknown, call: RdsCall): Error {
  if (error instanceof DrillError) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const remedy = remedies[name];
  const text = `${call.action} failed: ${remedy ? remedy(call, message) : `${name}: ${message}`}`;
  return new call.Failed(text, { cause: error });
}

/** Whether an SDK error says the resource does not exist. */
export const isNotFound = (error: unknown) =>
  error instanceof Error && /NotFound(Fault)?$/.test(error.name);

/** Whether an SDK error says a resource by that name exists already. */
export const isAlreadyExists = (error: unknown) =>
  error instanceof Error && /AlreadyExists(Fault)?$/.test(error.name);
