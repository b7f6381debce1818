import { randomBytes } from 'node:crypto';
import { judgeBackupHealth } from './backup-health.ts';
import { type Baseline, compareWithBaseline, describeBaseline, LAST_COPY } from './baseline.ts';
import { parseWith, type Target, verifySessions } from './config.ts';
import {
  ConfigError,
  ForeignResourceError,
  RestoreFailedError,
  RestoreTimeoutError,
  SnapshotFailedError,
  SnapshotTimeoutError,
} from './errors.ts';
import type {
  BaselineStore,
  Clock,
  ConnectionInfo,
  CopyInfo,
  DatabaseFleet,
  DatabaseVerifier,
  Notifier,
  SnapshotInfo,
  Tags,
  TargetCatalog,
} from './ports.ts';
import { buildReport } from './report.ts';
import {
  type CheckResult,
  type DrillState,
  drillInputSchema,
  namedDrillInputSchema,
  type StepName,
} from './state.ts';
import { clip, errorText, MAX_MESSAGE_CHARS } from './text.ts';
import {
  CALL_BUDGET_MS,
  LAST_CALL_MS,
  mergeResults,
  stoppedAtLimit,
  timeLeftMs,
} from './verification.ts';

/** What the steps need from the outside world. */
export interface DrillDeps {
  fleet: DatabaseFleet;
  verifier: DatabaseVerifier;
  notifier: Notifier;
  clock: Clock;
  /** The stored configuration, where executions start with a target's name (deployed drills). */
  catalog?: TargetCatalog;
  /** Where baselines are kept, for targets that compare their copies with one. */
  baselines?: BaselineStore;
}

/**
 * The fleet calls each step makes. A deployed function builds only these (so it bundles, and
 * its IAM policy allows, nothing another step needs); a step is typed to reach for no more.
 */
export const fleetCalls = {
  StartDrill: [],
  TakeSnapshot: ['prepareRecoveryPoint'],
  RecordBaseline: ['sourceConnection'],
  CheckSnapshot: ['describeRecoveryPoint'],
  RestoreInstance: ['restoreCopy'],
  CheckInstance: ['advanceCopy'],
  Verify: ['describeCopy', 'connectionFor', 'backupFacts'],
  TearDown: ['describeCopy', 'deleteCopy', 'describeSnapshot', 'deleteSnapshot'],
  PublishReport: [],
} as const satisfies Record<StepName, readonly (keyof DatabaseFleet)[]>;

/** The part of the fleet a step uses. */
export type FleetOf<S extends StepName> = Pick<DatabaseFleet, (typeof fleetCalls)[S][number]>;

/** A step's deps: the fleet calls it makes, and the clock. */
type StepDeps<S extends StepName> = { fleet: FleetOf<S>; clock: Clock };

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

/** Longest pause when the backend's progress says the end is far off, in seconds. */
const MAX_GUIDED_POLL_SECONDS = 300;

/**
 * Seconds to wait before the next poll. Where the backend reports progress (a snapshot's
 * percent done), about half the time that progress says is left, between 5 s and 5 minutes:
 * long waits while the end is far, short ones as it nears, so the workflow moves on within
 * seconds of the end with few polls. Otherwise 15 s, 30 s, then every minute (the SDK's
 * waiters poll every 30 s).
 */
export function nextPollSeconds(polls: number, progress?: { percent: number; elapsedMs: number }) {
  if (progress && progress.percent > 0 && progress.percent < 100) {
    const leftSeconds = ((progress.elapsedMs / 1000) * (100 - progress.percent)) / progress.percent;
    return Math.round(Math.min(Math.max(leftSeconds / 2, 5), MAX_GUIDED_POLL_SECONDS));
  }
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
function assessPoll<I extends SnapshotInfo | CopyInfo>(
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
  const percent = 'progress' in info ? info.progress : undefined;
  const elapsedMs = now.getTime() - Date.parse(record.requestedAt);
  const next = nextPollSeconds(
    polls - 1,
    percent === undefined ? undefined : { percent, elapsedMs },
  );
  return { info, wait: { ready, seconds: Math.max(1, Math.min(next, left)), polls } };
}

/** StartDrill: validates the execution input and names the drill. Creates nothing. */
export async function startDrill(
  input: unknown,
  deps: Pick<DrillDeps, 'clock' | 'catalog'>,
): Promise<DrillState> {
  const named = input !== null && typeof input === 'object' && 'targetName' in input;
  // The catalog is reached for only when the input names a target: it is read from S3.
  const { target, keep, suggest } = named
    ? { target: await namedTarget(input, deps.catalog), keep: false, suggest: false }
    : parseWith(drillInputSchema, input, 'drill input');
  const now = deps.clock.now();
  return {
    target,
    keep,
    ...(suggest && { suggest }),
    drillId: drillIdFor(target.name, now),
    startedAt: now.toISOString(),
  };
}

/** The target an execution names, from the stored configuration as it is now. */
async function namedTarget(input: unknown, catalog: TargetCatalog | undefined): Promise<Target> {
  const { targetName } = parseWith(namedDrillInputSchema, input, 'drill input');
  if (!catalog) {
    throw new ConfigError(
      `drill input names the target "${targetName}", but this run has no stored configuration: pass {"target": {...}}`,
    );
  }
  const target = (await catalog.targets()).find((t) => t.name === targetName);
  if (!target) throw new ConfigError(`no target named "${targetName}" in the stored configuration`);
  return target;
}

/**
 * TakeSnapshot: takes the drill's own snapshot of the source, or picks the backup the target's
 * recoveryPoint names (the newest automated snapshot, a given one, a point in time).
 */
export async function takeSnapshot(
  state: DrillState,
  { fleet, clock }: StepDeps<'TakeSnapshot'>,
): Promise<DrillState> {
  const requestedAt = clock.now().toISOString();
  const point = await fleet.prepareRecoveryPoint({
    source: state.target.source,
    recoveryPoint: state.target.recoveryPoint,
    snapshotId: state.drillId,
    tags: drillTags(state),
  });
  if (point.owned) requireOwned(point, state);
  const { kind, id, owned, status, createdAt, sizeBytes, engineVersion } = point;
  return {
    ...state,
    recoveryPoint: { kind, id, owned, status, requestedAt, createdAt, sizeBytes, engineVersion },
    wait: undefined,
  };
}

/**
 * RecordBaseline: as the snapshot is taken, reads the source's tables and estimated rows over
 * a read-only connection (`checks.baseline.sourceSecretArn`) and keeps them for Verify to
 * compare the copy with. It fails nothing: a source it cannot read is noted, and Verify
 * compares with the last copy that passed instead.
 */
export async function recordBaseline(
  state: DrillState,
  deps: StepDeps<'RecordBaseline'> & BaselineDeps,
): Promise<DrillState> {
  const { fleet, verifier, clock } = deps;
  const { target } = state;
  if (!target.checks.baseline?.sourceSecretArn || !fleet.sourceConnection) return state;
  const takenAt = clock.now().toISOString();
  try {
    const tables = await verifier.tableCounts(await fleet.sourceConnection(target));
    const baseline: Baseline = { from: 'source', takenAt, drillId: state.drillId, tables };
    await storeOf(deps.baselines).save(target.name, state.drillId, baseline);
    return { ...state, baseline: { takenAt, tables: Object.keys(tables).length } };
  } catch (error) {
    return { ...state, baseline: { takenAt, error: errorText(error) } };
  }
}

/**
 * What the steps that read or keep baselines need besides the fleet. The store is reached for
 * only when a target compares with a baseline: a function builds it on first use.
 */
type BaselineDeps = Pick<DrillDeps, 'verifier' | 'baselines'>;

function storeOf(baselines: BaselineStore | undefined): BaselineStore {
  if (!baselines) throw new TypeError('this run has no baseline store');
  return baselines;
}

/** CheckSnapshot: is the recovery point ready yet? Throws if it failed or took too long. */
export async function checkSnapshot(
  state: DrillState,
  { fleet, clock }: StepDeps<'CheckSnapshot'>,
): Promise<DrillState> {
  const record = required(state.recoveryPoint, 'recovery point');
  const described = await fleet.describeRecoveryPoint(record, state.target.source);
  const now = clock.now();
  const { info, wait } = assessPoll(
    state,
    record,
    described,
    {
      noun: record.kind === 'snapshot' ? 'snapshot' : 'point in time of',
      limitMinutes: state.target.timeouts.snapshotMinutes,
      Failed: SnapshotFailedError,
      TimedOut: SnapshotTimeoutError,
    },
    now,
  );
  return {
    ...state,
    recoveryPoint: {
      ...record,
      status: info.status,
      createdAt: info.createdAt ?? record.createdAt,
      sizeBytes: info.sizeBytes,
      engineVersion: info.engineVersion ?? record.engineVersion,
      availableAt: wait.ready ? now.toISOString() : undefined,
    },
    wait,
  };
}

/** RestoreInstance: restores the recovery point to a new, tagged copy. */
export async function restoreInstance(
  state: DrillState,
  { fleet, clock }: StepDeps<'RestoreInstance'>,
): Promise<DrillState> {
  const { kind, id, createdAt } = required(state.recoveryPoint, 'recovery point');
  const requestedAt = clock.now().toISOString();
  const copy = await fleet.restoreCopy({
    source: state.target.source,
    restore: state.target.restore,
    recoveryPoint: { kind, id, createdAt },
    copyId: state.drillId,
    tags: drillTags(state),
  });
  requireOwned(copy, state);
  return {
    ...state,
    copy: { id: copy.id, kind: copy.kind, status: copy.status, requestedAt },
    wait: undefined,
  };
}

/**
 * CheckInstance: is the restored copy ready yet? Each poll lets the fleet take the copy's next
 * step (an Aurora cluster's instance, a managed secret). Throws if it failed or took too long.
 */
export async function checkInstance(
  state: DrillState,
  { fleet, clock }: StepDeps<'CheckInstance'>,
): Promise<DrillState> {
  const record = required(state.copy, 'restored copy');
  const described = await fleet.advanceCopy({
    copyId: record.id,
    target: state.target,
    tags: drillTags(state),
  });
  const now = clock.now();
  const { info, wait } = assessPoll(
    state,
    record,
    described,
    {
      noun: `restored ${record.kind}`,
      limitMinutes: state.target.timeouts.restoreMinutes,
      Failed: RestoreFailedError,
      TimedOut: RestoreTimeoutError,
    },
    now,
  );
  const { endpoint, instanceClass, engineVersion, createdAt } = info;
  return {
    ...state,
    copy: {
      ...record,
      status: info.status,
      endpoint,
      instanceClass,
      engineVersion,
      createdAt,
      availableAt: wait.ready ? now.toISOString() : undefined,
    },
    wait,
  };
}

/**
 * Verify: runs the target's checks against the restored copy, as far as one invocation's
 * budget goes; the workflow runs it again while `verification.resume` says what is left. It
 * connects only to a copy this drill created and tagged, so a drill can never run its checks
 * against production.
 */
export async function verify(
  state: DrillState,
  deps: StepDeps<'Verify'> & BaselineDeps,
): Promise<DrillState> {
  const { fleet, verifier, clock } = deps;
  const record = required(state.copy, 'restored copy');
  const point = required(state.recoveryPoint, 'recovery point');
  // A verification with checks left is gone on with; any other is started afresh.
  const earlier = state.verification?.resume ? state.verification : undefined;
  const startedAt = earlier?.startedAt ?? clock.now().toISOString();
  const { verifyMinutes } = state.target.timeouts;
  const info = await fleet.describeCopy(record.id, state.target.source);
  if (!info) throw new RestoreFailedError(`restored ${record.kind} ${record.id} no longer exists`);
  const copy = requireOwned(info, state);
  const connection = await fleet.connectionFor(copy, state.target);
  const left = () => timeLeftMs(new Date(startedAt), verifyMinutes, clock.now());
  const recoveryPoint = new Date(point.createdAt ?? point.requestedAt);
  const call = await verifier.verify({
    connection,
    checks: state.target.checks,
    recoveryPoint,
    parallel: verifySessions(state.target.checks, copy.instanceClass ?? record.instanceClass),
    budgetMs: Math.max(0, Math.min(CALL_BUDGET_MS, left())),
    resume: earlier?.resume,
  });
  // The source's backups are judged once, with the first of the copy's checks.
  let checks = earlier
    ? mergeResults(earlier.checks, call.checks)
    : [...call.checks, ...(await sourceBackupHealth(state, { fleet, clock }))];
  let resume = call.resume;
  if (resume && left() < LAST_CALL_MS) {
    checks = stoppedAtLimit(checks, resume, verifyMinutes);
    resume = undefined;
  }
  if (!resume && state.target.checks.baseline) {
    checks = await againstBaseline(state, checks, connection, recoveryPoint, deps);
  }
  const suggestion =
    state.suggest && !resume ? await suggestFrom(verifier, connection, recoveryPoint) : undefined;
  return {
    ...state,
    verification: {
      startedAt,
      finishedAt: clock.now().toISOString(),
      checks,
      invocations: (earlier?.invocations ?? 0) + 1,
      resume,
    },
    ...(suggestion && { suggestion }),
  };
}

/**
 * The copy's tables against the baseline (the source's, read at snapshot time, or else the
 * last copy that passed), as one more check. A copy that passed every check of its own
 * becomes the baseline of the drills after it.
 */
async function againstBaseline(
  state: DrillState,
  checks: CheckResult[],
  connection: ConnectionInfo,
  recoveryPoint: Date,
  deps: BaselineDeps & { clock: Clock },
): Promise<CheckResult[]> {
  const { verifier, clock } = deps;
  const options = required(state.target.checks.baseline, 'baseline options');
  const { name } = state.target;
  const started = clock.now().getTime();
  const result = (outcome: Pick<CheckResult, 'status' | 'message' | 'metrics'>): CheckResult => ({
    name: 'baseline',
    ...outcome,
    // Bounded as every check's message is: the drill's state must fit in 256 KiB.
    message: clip(outcome.message, MAX_MESSAGE_CHARS),
    ms: clock.now().getTime() - started,
  });
  try {
    const store = storeOf(deps.baselines);
    const counts = await verifier.tableCounts(connection);
    // The source's, where RecordBaseline read it; else the last copy that passed.
    const recorded = state.baseline?.tables !== undefined;
    const baseline =
      (recorded ? await store.load(name, state.drillId) : undefined) ??
      (await store.load(name, LAST_COPY));
    // The source's backup health (backup:*, backup-health) says nothing about the copy.
    const copyChecksPassed = checks.every(
      (c) => c.name.startsWith('backup') || c.status === 'PASS' || c.status === 'SKIP',
    );
    const judged = baseline
      ? compareWithBaseline(baseline, counts, options)
      : {
          status: 'SKIP' as const,
          message:
            'no baseline yet: the first copy that passes every check becomes the next drill’s',
        };
    if (copyChecksPassed && judged.status !== 'FAIL') {
      const takenAt = recoveryPoint.toISOString();
      await store.save(name, LAST_COPY, {
        from: 'copy',
        takenAt,
        drillId: state.drillId,
        tables: counts,
      });
    }
    return [...checks, result(withSourceNote(judged, state, baseline))];
  } catch (error) {
    return [...checks, result({ status: 'ERROR', message: errorText(error) })];
  }
}

/** Why a comparison is not with the source's own baseline, where one was asked for. */
function withSourceNote<J extends { message: string }>(
  judged: J,
  state: DrillState,
  baseline: Baseline | undefined,
): J {
  if (!state.target.checks.baseline?.sourceSecretArn || baseline?.from === 'source') return judged;
  const why =
    state.baseline?.error ??
    (state.baseline?.failed ? `${state.baseline.failed.Error}` : 'it was not recorded');
  const used = baseline ? `compared with ${describeBaseline(baseline)}` : 'nothing to compare with';
  return {
    ...judged,
    message: `${judged.message} (the source's catalog could not be read: ${why}; ${used})`,
  };
}

/** Checks proposed from the copy; one that cannot be read says why, and fails nothing. */
async function suggestFrom(
  verifier: DatabaseVerifier,
  connection: ConnectionInfo,
  recoveryPoint: Date,
): Promise<NonNullable<DrillState['suggestion']>> {
  try {
    return await verifier.suggest(connection, recoveryPoint);
  } catch (error) {
    return { notes: [], error: errorText(error) };
  }
}

/**
 * The source's own backups, judged beside the copy's checks. Facts that cannot be read make one
 * ERROR check: the drill still reports what it verified.
 */
async function sourceBackupHealth(
  state: DrillState,
  { fleet, clock }: StepDeps<'Verify'>,
): Promise<CheckResult[]> {
  if (!fleet.backupFacts) return [];
  const started = clock.now().getTime();
  try {
    const facts = await fleet.backupFacts(state.target.source);
    const now = clock.now();
    return judgeBackupHealth(facts, state.target.backupHealth, now, now.getTime() - started);
  } catch (error) {
    const message = errorText(error);
    return [
      { name: 'backup-health', status: 'ERROR', message, ms: clock.now().getTime() - started },
    ];
  }
}

/**
 * TearDown: deletes the drill's restored copy, then its own snapshot. It looks both up by the
 * drill's own identifier (so a step that failed half-way leaves nothing behind) and deletes only
 * what carries this drill's tag; a backup the drill picked rather than took is never touched.
 * A resource still being created cannot be deleted yet: that throws TeardownPendingError, which
 * the workflow retries.
 */
export async function tearDown(
  state: DrillState,
  { fleet, clock }: StepDeps<'TearDown'>,
): Promise<DrillState> {
  const { source, recoveryPoint } = state.target;
  const startedAt = clock.now().toISOString();
  const deleted: string[] = [];
  let message = '';

  const copy = await fleet.describeCopy(state.drillId, source);
  // Only a working copy is worth keeping for investigation; any other goes as usual.
  const kept = state.keep && copy?.phase === 'available';
  if (copy && kept) {
    requireOwned(copy, state);
    const at = copy.endpoint ? ` at ${copy.endpoint.host}:${copy.endpoint.port}` : '';
    message = `restored copy ${copy.id} left running${at} (--keep)`;
  } else if (copy) {
    await deleteWhenPossible(requireOwned(copy, state), () => fleet.deleteCopy(copy.id, source));
    deleted.push(`${copy.kind} ${copy.id}`);
  }

  const snapshot =
    recoveryPoint.mode === 'new-snapshot'
      ? await fleet.describeSnapshot(state.drillId, source)
      : undefined;
  if (snapshot) {
    await deleteWhenPossible(requireOwned(snapshot, state), () =>
      fleet.deleteSnapshot(snapshot.id, source),
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

/**
 * Deletes a resource unless it is on its way out already. One that cannot go yet (still being
 * created) is the fleet's to say: it throws TeardownPendingError, and the workflow retries.
 */
async function deleteWhenPossible(
  resource: SnapshotInfo | CopyInfo,
  remove: () => Promise<void>,
): Promise<void> {
  if (resource.phase !== 'deleting') await remove();
}

/** PublishReport: builds the report, sends it, and leaves the verdict for the workflow's Choice. */
export async function publishReport(
  state: DrillState,
  { notifier, clock }: Pick<DrillDeps, 'notifier' | 'clock'>,
): Promise<DrillState> {
  const report = buildReport(state, clock.now());
  await notifier.publish(report);
  return { ...state, verdict: report.status, summary: report.summary };
}

/** Each Task state of the workflow and the step it runs, in workflow order. */
export const steps = {
  StartDrill: (input: unknown, deps: DrillDeps) => startDrill(input, deps),
  TakeSnapshot: takeSnapshot,
  RecordBaseline: recordBaseline,
  CheckSnapshot: checkSnapshot,
  RestoreInstance: restoreInstance,
  CheckInstance: checkInstance,
  Verify: verify,
  TearDown: tearDown,
  PublishReport: publishReport,
} satisfies Record<StepName, (state: never, deps: DrillDeps) => Promise<DrillState>>;
