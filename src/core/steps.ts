import { randomBytes } from 'node:crypto';
import { judgeBackupHealth } from './backup-health.ts';
import { parseWith } from './config.ts';
import {
  ForeignResourceError,
  RestoreFailedError,
  RestoreTimeoutError,
  SnapshotFailedError,
  SnapshotTimeoutError,
  TeardownPendingError,
} from './errors.ts';
import type {
  Clock,
  DatabaseFleet,
  DatabaseVerifier,
  InstanceInfo,
  Notifier,
  SnapshotInfo,
  Tags,
} from './ports.ts';
import { buildReport } from './report.ts';
import { type CheckResult, type DrillState, drillInputSchema, type StepName } from './state.ts';

/** What the steps need from the outside world. */
export interface DrillDeps {
  fleet: DatabaseFleet;
  verifier: DatabaseVerifier;
  notifier: Notifier;
  clock: Clock;
}

/** The tag that marks a resource as this drill's own; nothing without it is ever deleted. */
export const DRILL_ID_TAG = 'restore-drill:drill-id';
export const TARGET_TAG = 'restore-drill:target';

/** Longest pause between two status polls, in seconds. */
const MAX_POLL_SECONDS = 60;

/**
 * A drill's identifier, used for both its snapshot and its restored instance. It satisfies RDS
 * identifier rules (letters, digits, single hyphens, at most 63 characters) and sorts by time.
 */
export function drillIdFor(targetName: string, at: Date, suffix = randomBytes(3).toString('hex')) {
  const stamp = at.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', 't');
  return `drill-${targetName}-${stamp}-${suffix}`;
}

/** Seconds to wait before the next poll: 15, 30, then every minute (the SDK's waiters use 30). */
export function nextPollSeconds(polls: number): number {
  return Math.min(15 * 2 ** polls, MAX_POLL_SECONDS);
}

function drillTags(state: DrillState): Tags {
  return { [DRILL_ID_TAG]: state.drillId, [TARGET_TAG]: state.target.name };
}

function requireOwned<R extends { id: string; tags: Tags }>(resource: R, state: DrillState): R {
  if (resource.tags[DRILL_ID_TAG] !== state.drillId) {
    throw new ForeignResourceError(
      `refusing to touch ${resource.id}: it is not tagged ${DRILL_ID_TAG}=${state.drillId}`,
    );
  }
  return resource;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new TypeError(`drill state has no ${what}`);
  return value;
}

/** What a poll loop watches, and how it fails. */
interface Watched {
  noun: string;
  limitMinutes: number;
  Failed: new (message: string) => Error;
  TimedOut: new (message: string) => Error;
}

/**
 * One poll of a resource the workflow waits for: ready, or wait some more; throws if it failed,
 * vanished or ran out of time. The next pause never runs past the deadline, so a timeout is
 * reported close to when it falls.
 */
function assessPoll<I extends SnapshotInfo | InstanceInfo>(
  state: DrillState,
  record: { id: string; requestedAt: string },
  info: I | undefined,
  watched: Watched,
  now: Date,
): { info: I; wait: NonNullable<DrillState['wait']> } {
  const { noun, limitMinutes, Failed, TimedOut } = watched;
  if (!info) throw new Failed(`${noun} ${record.id} no longer exists`);
  if (info.phase === 'failed' || info.phase === 'deleting') {
    throw new Failed(`${noun} ${record.id} is ${info.status}`);
  }
  const polls = (state.wait?.polls ?? 0) + 1;
  const deadline = Date.parse(record.requestedAt) + limitMinutes * 60_000;
  const left = Math.ceil((deadline - now.getTime()) / 1000);
  const ready = info.phase === 'available';
  if (!ready && left <= 0) {
    throw new TimedOut(`${noun} ${record.id} is still ${info.status} after ${limitMinutes} min`);
  }
  return {
    info,
    wait: { ready, seconds: Math.max(1, Math.min(nextPollSeconds(polls - 1), left)), polls },
  };
}

/** StartDrill: validates the execution input and names the drill. Creates nothing. */
export async function startDrill(
  input: unknown,
  { clock }: Pick<DrillDeps, 'clock'>,
): Promise<DrillState> {
  const { target, keep } = parseWith(drillInputSchema, input, 'drill input');
  const now = clock.now();
  return { target, keep, drillId: drillIdFor(target.name, now), startedAt: now.toISOString() };
}

/** TakeSnapshot: asks for a snapshot of the source, tagged as this drill's. */
export async function takeSnapshot(
  state: DrillState,
  { fleet, clock }: DrillDeps,
): Promise<DrillState> {
  const requestedAt = clock.now().toISOString();
  const snapshot = await fleet.createSnapshot({
    source: state.target.source,
    snapshotId: state.drillId,
    tags: drillTags(state),
  });
  return {
    ...state,
    snapshot: { id: snapshot.id, status: snapshot.status, requestedAt },
    wait: undefined,
  };
}

/** CheckSnapshot: is the snapshot available yet? Throws if it failed or took too long. */
export async function checkSnapshot(
  state: DrillState,
  { fleet, clock }: DrillDeps,
): Promise<DrillState> {
  const record = required(state.snapshot, 'snapshot');
  const described = await fleet.describeSnapshot(record.id);
  const now = clock.now();
  const { info, wait } = assessPoll(
    state,
    record,
    described,
    {
      noun: 'snapshot',
      limitMinutes: state.target.timeouts.snapshotMinutes,
      Failed: SnapshotFailedError,
      TimedOut: SnapshotTimeoutError,
    },
    now,
  );
  return {
    ...state,
    snapshot: {
      ...record,
      status: info.status,
      createdAt: info.createdAt,
      sizeBytes: info.sizeBytes,
      availableAt: wait.ready ? now.toISOString() : undefined,
    },
    wait,
  };
}

/** RestoreInstance: restores the drill's snapshot to a new, tagged instance. */
export async function restoreInstance(
  state: DrillState,
  { fleet, clock }: DrillDeps,
): Promise<DrillState> {
  const snapshot = required(state.snapshot, 'snapshot');
  const requestedAt = clock.now().toISOString();
  const instance = await fleet.restoreInstance({
    source: state.target.source,
    restore: state.target.restore,
    snapshotId: snapshot.id,
    instanceId: state.drillId,
    tags: drillTags(state),
  });
  return {
    ...state,
    instance: { id: instance.id, status: instance.status, requestedAt },
    wait: undefined,
  };
}

/** CheckInstance: is the restored copy available yet? Throws if it failed or took too long. */
export async function checkInstance(
  state: DrillState,
  { fleet, clock }: DrillDeps,
): Promise<DrillState> {
  const record = required(state.instance, 'instance');
  const described = await fleet.describeInstance(record.id);
  const now = clock.now();
  const { info, wait } = assessPoll(
    state,
    record,
    described,
    {
      noun: 'restored instance',
      limitMinutes: state.target.timeouts.restoreMinutes,
      Failed: RestoreFailedError,
      TimedOut: RestoreTimeoutError,
    },
    now,
  );
  return {
    ...state,
    instance: {
      ...record,
      status: info.status,
      endpoint: info.endpoint,
      availableAt: wait.ready ? now.toISOString() : undefined,
    },
    wait,
  };
}

/**
 * Verify: runs the target's checks against the restored copy. It connects only to an instance
 * this drill created and tagged, so a drill can never run its checks against production.
 */
export async function verify(
  state: DrillState,
  { fleet, verifier, clock }: DrillDeps,
): Promise<DrillState> {
  const record = required(state.instance, 'instance');
  const snapshot = required(state.snapshot, 'snapshot');
  const startedAt = clock.now().toISOString();
  const info = await fleet.describeInstance(record.id);
  if (!info) throw new RestoreFailedError(`restored instance ${record.id} no longer exists`);
  const instance: InstanceInfo = requireOwned(info, state);
  const connection = await fleet.connectionFor(instance, state.target);
  const recoveryPoint = new Date(snapshot.createdAt ?? snapshot.requestedAt);
  const checks = [
    ...(await verifier.verify(connection, state.target.checks, recoveryPoint)),
    ...(await sourceBackupHealth(state, { fleet, clock })),
  ];
  return {
    ...state,
    verification: { startedAt, finishedAt: clock.now().toISOString(), checks },
  };
}

/**
 * The source's own backups, judged beside the copy's checks. Facts that cannot be read make one
 * ERROR check: the drill still reports what it verified.
 */
async function sourceBackupHealth(
  state: DrillState,
  { fleet, clock }: Pick<DrillDeps, 'fleet' | 'clock'>,
): Promise<CheckResult[]> {
  if (!fleet.backupFacts) return [];
  const started = clock.now().getTime();
  try {
    const facts = await fleet.backupFacts(state.target.source);
    const now = clock.now();
    return judgeBackupHealth(facts, state.target.backupHealth, now, now.getTime() - started);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [
      { name: 'backup-health', status: 'ERROR', message, ms: clock.now().getTime() - started },
    ];
  }
}

/**
 * TearDown: deletes the drill's restored instance, then its snapshot. It looks both up by the
 * drill's own identifier (so a step that failed half-way leaves nothing behind) and deletes only
 * what carries this drill's tag. A resource still being created cannot be deleted yet: that
 * throws TeardownPendingError, which the workflow retries.
 */
export async function tearDown(
  state: DrillState,
  { fleet, clock }: DrillDeps,
): Promise<DrillState> {
  const startedAt = clock.now().toISOString();
  const deleted: string[] = [];
  let message = '';

  const instance = await fleet.describeInstance(state.drillId);
  // Only a working copy is worth keeping for investigation; any other goes as usual.
  const kept = state.keep && instance?.phase === 'available';
  if (instance && kept) {
    requireOwned(instance, state);
    const at = instance.endpoint ? ` at ${instance.endpoint.host}:${instance.endpoint.port}` : '';
    message = `restored copy ${instance.id} left running${at} (--keep)`;
  } else if (instance) {
    await deleteWhenPossible(requireOwned(instance, state), () =>
      fleet.deleteInstance(instance.id),
    );
    deleted.push(`instance ${instance.id}`);
  }

  const snapshot = await fleet.describeSnapshot(state.drillId);
  if (snapshot) {
    await deleteWhenPossible(requireOwned(snapshot, state), () =>
      fleet.deleteSnapshot(snapshot.id),
    );
    deleted.push(`snapshot ${snapshot.id}`);
  }

  if (!message) message = deleted.length ? `deleted ${deleted.join(' and ')}` : 'nothing to delete';
  return {
    ...state,
    teardown: {
      status: kept ? 'KEPT' : 'DONE',
      startedAt,
      finishedAt: clock.now().toISOString(),
      deleted,
      message,
    },
  };
}

async function deleteWhenPossible(
  resource: SnapshotInfo | InstanceInfo,
  remove: () => Promise<void>,
): Promise<void> {
  if (resource.phase === 'deleting') return;
  if (resource.phase === 'pending') {
    throw new TeardownPendingError(
      `${resource.id} is ${resource.status}; it can be deleted once that ends`,
    );
  }
  await remove();
}

/** PublishReport: builds the report, sends it, and leaves the verdict for the workflow's Choice. */
export async function publishReport(
  state: DrillState,
  { notifier, clock }: DrillDeps,
): Promise<DrillState> {
  const report = buildReport(state, clock.now());
  await notifier.publish(report);
  return { ...state, verdict: report.status, summary: report.summary };
}

/** Each Task state of the workflow and the step it runs, in workflow order. */
export const steps = {
  StartDrill: (input: unknown, deps: DrillDeps) => startDrill(input, deps),
  TakeSnapshot: takeSnapshot,
  CheckSnapshot: checkSnapshot,
  RestoreInstance: restoreInstance,
  CheckInstance: checkInstance,
  Verify: verify,
  TearDown: tearDown,
  PublishReport: publishReport,
} satisfies Record<StepName, (state: never, deps: DrillDeps) => Promise<DrillState>>;
