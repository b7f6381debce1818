import type { CheckResult, DrillState } from './state.ts';

export type Verdict = 'PASS' | 'FAIL' | 'ERROR';

/** A finished drill, as on-call reads it and as `--json` prints it. */
export interface DrillReport {
  status: Verdict;
  /** One line: the verdict, the target and what broke. */
  summary: string;
  target: string;
  engine: string;
  database: string;
  drillId: string;
  startedAt: string;
  finishedAt: string;
  /** What the copy was restored from, as the target's recoveryPoint.mode chose it. */
  restoredFrom: {
    mode: string;
    kind: 'snapshot' | 'point-in-time';
    id: string;
    sizeBytes: number | null;
    /** The source's engine version the backup holds. */
    engineVersion: string | null;
  } | null;
  /** The copy the checks ran on. */
  copy: {
    id: string;
    kind: 'instance' | 'cluster';
    endpoint: string | null;
    instanceClass: string | null;
    engineVersion: string | null;
  } | null;
  timings: {
    /** Milliseconds per phase; null where the phase did not complete. */
    phases: Record<'snapshot' | 'restore' | 'verify' | 'teardown', number | null>;
    /** Restore requested to restored copy available, as the drill saw it. */
    restoreMs: number | null;
    /** Restore requested to the copy's creation time as the backend recorded it. */
    backendRestoreMs: number | null;
    /** Drill start to checks finished. */
    timeToVerifiedMs: number | null;
    totalMs: number;
  };
  /** The backup's point in time and how old it was when its copy was verified. */
  recoveryPoint: { at: string; ageMs: number | null } | null;
  /** The newest data the freshness checks found: the data loss window actually present. */
  dataFreshness: { newestDataAt: string; lagMs: number } | null;
  verified: Verified | null;
  checks: CheckResult[];
  /** The step that stopped the drill, if one did. */
  failure: { step: string; error: string; message: string } | null;
  teardown: { status: 'DONE' | 'KEPT' | 'ERROR'; message: string; deleted: string[] };
  /** Checks proposed from the restored copy, where the run asked (`run --suggest`). */
  suggestion?: NonNullable<DrillState['suggestion']>;
}

/**
 * How much the checks that walk the whole database (integrity, heap, read-all) covered, and how
 * fast: bytes are the indexes' plus the tables' (read by several checks, counted once); MB/s is
 * everything those checks read over the time they took, across every invocation.
 */
export interface Verified {
  invocations: number;
  tables: number;
  indexes: number;
  bytes: number;
  ms: number;
  mbPerSecond: number;
}

/** The checks that walk the database, by the names both engines give them. */
const WALK_CHECKS = new Set(['integrity', 'heap', 'read-all', 'integrity:read-all']);

function verifiedOf(checks: readonly CheckResult[], invocations = 1): Verified | null {
  const walks = checks.filter((c) => WALK_CHECKS.has(c.name) && c.metrics);
  if (!walks.length) return null;
  const metric = (c: CheckResult, name: string) => Number(c.metrics?.[name] ?? 0) || 0;
  const ofIndexes = walks.filter((c) => metric(c, 'indexes') > 0);
  const ofTables = walks.filter((c) => !ofIndexes.includes(c));
  const ms = walks.reduce((sum, c) => sum + c.ms, 0);
  const read = walks.reduce((sum, c) => sum + metric(c, 'bytes'), 0);
  return {
    invocations,
    tables: Math.max(0, ...walks.map((c) => metric(c, 'tables'))),
    indexes: Math.max(0, ...ofIndexes.map((c) => metric(c, 'indexes'))),
    bytes:
      Math.max(0, ...ofIndexes.map((c) => metric(c, 'bytes'))) +
      Math.max(0, ...ofTables.map((c) => metric(c, 'bytes'))),
    ms,
    mbPerSecond: Number((read / 1e6 / (Math.max(ms, 1) / 1000)).toFixed(1)),
  };
}

/** `Verified  3 tables, 12 indexes, 1.2 GB in 4.1 s (290 MB/s), in 2 invocations`. */
function verifiedLine(verified: Verified | null): string[] {
  if (!verified) return [];
  const { tables, indexes, invocations } = verified;
  const what = [
    `${tables} table${tables === 1 ? '' : 's'}`,
    indexes ? `${indexes} index${indexes === 1 ? '' : 'es'}` : '',
  ].filter(Boolean);
  const calls = invocations > 1 ? `, in ${invocations} invocations` : '';
  return [
    `Verified        ${what.join(', ')}, ${bytes(verified.bytes)} in ${seconds(verified.ms)} (${verified.mbPerSecond} MB/s)${calls}`,
  ];
}

const between = (from?: string, to?: string): number | null =>
  from && to ? Date.parse(to) - Date.parse(from) : null;

/** Lambda errors arrive with a JSON cause (`errorMessage`); local ones with a plain message. */
export function causeMessage(cause: unknown): string {
  if (typeof cause !== 'string') return cause === undefined ? '' : JSON.stringify(cause);
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed && typeof parsed === 'object' && 'errorMessage' in parsed) {
      return String(parsed.errorMessage);
    }
  } catch {
    // not JSON: the cause is the message itself
  }
  return cause;
}

function stepFailure(state: DrillState): DrillReport['failure'] {
  const entry = Object.entries(state.failed ?? {}).find(([step]) => step !== 'TearDown');
  if (!entry) return null;
  const [step, caught] = entry;
  return { step, error: caught.Error, message: causeMessage(caught.Cause) };
}

function teardownOutcome(state: DrillState): DrillReport['teardown'] {
  const caught = state.failed?.TearDown;
  if (caught) {
    return {
      status: 'ERROR',
      message: `${caught.Error}: ${causeMessage(caught.Cause)}`,
      deleted: [],
    };
  }
  if (state.teardown) {
    const { status, message, deleted } = state.teardown;
    return { status, message, deleted };
  }
  return { status: 'ERROR', message: 'teardown did not run', deleted: [] };
}

/**
 * ERROR when the drill could not finish or could not clean up (a copy may still be running:
 * that needs someone now, whatever the checks said); otherwise FAIL when a check failed.
 */
function verdictOf(checks: CheckResult[], stopped: boolean): Verdict {
  if (stopped) return 'ERROR';
  if (checks.some((c) => c.status === 'FAIL')) return 'FAIL';
  if (checks.length === 0 || checks.some((c) => c.status === 'ERROR')) return 'ERROR';
  return 'PASS';
}

const namesWith = (checks: CheckResult[], status: CheckResult['status']) =>
  checks.filter((c) => c.status === status).map((c) => c.name);

/** What broke, check by check, as the summary line says it. */
function checkProblems(checks: CheckResult[]): string[] {
  const parts: string[] = [];
  const failed = namesWith(checks, 'FAIL');
  const errored = namesWith(checks, 'ERROR');
  if (failed.length) parts.push(`${failed.join(', ')} failed`);
  if (errored.length) parts.push(`${errored.join(', ')} could not run`);
  return parts;
}

/** `9 checks passed, heap skipped`: what passed, and what did not run, said alike in every report. */
function passedPhrase(checks: CheckResult[]): string {
  const passed = namesWith(checks, 'PASS').length;
  const skipped = namesWith(checks, 'SKIP');
  const noun = passed === 1 ? 'check' : 'checks';
  return `${passed} ${noun} passed${skipped.length ? `, ${skipped.join(', ')} skipped` : ''}`;
}

function summaryOf(report: Omit<DrillReport, 'summary'>): string {
  const { status, target, checks, failure, teardown } = report;
  const parts: string[] = [];
  // A copy that may still be running comes first: it costs money until someone acts.
  if (teardown.status === 'ERROR') parts.push(`teardown failed: ${teardown.message}`);
  if (failure) parts.push(`${failure.step} failed: ${failure.message || failure.error}`);
  parts.push(...checkProblems(checks));
  if (status === 'PASS') {
    const restore = report.timings.restoreMs;
    parts.push(
      `${passedPhrase(checks)}${restore === null ? '' : `, restored in ${seconds(restore)}`}`,
    );
  }
  return `${status} ${target}: ${parts.join('; ')}`;
}

/** The newest data the freshness checks found, and how far behind it is. */
function freshnessOf(checks: CheckResult[]): DrillReport['dataFreshness'] {
  const freshest = checks
    .filter((c) => typeof c.metrics?.lagMs === 'number' && typeof c.metrics.newestAt === 'string')
    .sort((a, b) => Number(a.metrics?.lagMs) - Number(b.metrics?.lagMs))[0];
  return freshest
    ? { newestDataAt: String(freshest.metrics?.newestAt), lagMs: Number(freshest.metrics?.lagMs) }
    : null;
}

/** Assembles the report of a finished (or stopped) drill from its state. */
export function buildReport(state: DrillState, finishedAt: Date): DrillReport {
  const { recoveryPoint: point, copy, verification } = state;
  const checks = verification?.checks ?? [];
  const failure = stepFailure(state);
  const teardown = teardownOutcome(state);
  const recoveryAt = point?.createdAt ?? (point?.availableAt ? point.requestedAt : undefined);
  const partial: Omit<DrillReport, 'summary'> = {
    status: verdictOf(checks, failure !== null || teardown.status === 'ERROR'),
    target: state.target.name,
    engine: state.target.engine,
    database: state.target.database,
    drillId: state.drillId,
    startedAt: state.startedAt,
    finishedAt: finishedAt.toISOString(),
    restoredFrom: point
      ? {
          mode: state.target.recoveryPoint.mode,
          kind: point.kind,
          id: point.id,
          sizeBytes: point.sizeBytes ?? null,
          engineVersion: point.engineVersion ?? null,
        }
      : null,
    copy: copy
      ? {
          id: copy.id,
          kind: copy.kind,
          endpoint: copy.endpoint ? `${copy.endpoint.host}:${copy.endpoint.port}` : null,
          instanceClass: copy.instanceClass ?? null,
          engineVersion: copy.engineVersion ?? null,
        }
      : null,
    timings: {
      phases: {
        snapshot: between(point?.requestedAt, point?.availableAt),
        restore: between(copy?.requestedAt, copy?.availableAt),
        verify: between(verification?.startedAt, verification?.finishedAt),
        teardown: between(state.teardown?.startedAt, state.teardown?.finishedAt),
      },
      restoreMs: between(copy?.requestedAt, copy?.availableAt),
      backendRestoreMs: copy?.availableAt ? between(copy.requestedAt, copy.createdAt) : null,
      timeToVerifiedMs: between(state.startedAt, verification?.finishedAt),
      totalMs: finishedAt.getTime() - Date.parse(state.startedAt),
    },
    recoveryPoint: recoveryAt
      ? { at: recoveryAt, ageMs: between(recoveryAt, verification?.finishedAt) }
      : null,
    dataFreshness: freshnessOf(checks),
    verified: verifiedOf(checks, verification?.invocations),
    checks,
    failure,
    teardown,
    ...(state.suggestion && { suggestion: state.suggestion }),
  };
  return { ...partial, summary: summaryOf(partial) };
}

/**
 * The report of `restore-drill check`: a target's checks run by hand against a live database,
 * with no snapshot, copy or teardown. Its recovery point is the moment of the check, so
 * `dataFreshness.lagMs` is how old the newest data is now.
 */
export interface CheckReport {
  kind: 'check';
  status: Verdict;
  summary: string;
  target: string;
  engine: string;
  database: string;
  /** `host:port` of the server checked, and how the connection was secured. */
  endpoint: string;
  tls: 'verify-full' | 'require' | 'none';
  startedAt: string;
  finishedAt: string;
  timings: { phases: { verify: number | null }; totalMs: number };
  dataFreshness: DrillReport['dataFreshness'];
  verified: Verified | null;
  checks: CheckResult[];
}

/** Assembles a check's report from its checks, as `buildReport` judges a drill's. */
export function checkReport(check: {
  target: string;
  engine: string;
  database: string;
  endpoint: string;
  tls: CheckReport['tls'];
  startedAt: Date;
  verification: { startedAt: Date; finishedAt: Date; checks: CheckResult[]; invocations?: number };
  finishedAt: Date;
}): CheckReport {
  const { verification, ...about } = check;
  const { checks } = verification;
  const status = verdictOf(checks, false);
  const parts = checkProblems(checks);
  if (status === 'PASS') parts.push(passedPhrase(checks));
  return {
    kind: 'check',
    status,
    summary: `${status} ${check.target}: ${parts.join('; ')}`,
    ...about,
    startedAt: check.startedAt.toISOString(),
    finishedAt: check.finishedAt.toISOString(),
    timings: {
      phases: { verify: verification.finishedAt.getTime() - verification.startedAt.getTime() },
      totalMs: check.finishedAt.getTime() - check.startedAt.getTime(),
    },
    dataFreshness: freshnessOf(checks),
    verified: verifiedOf(checks, verification.invocations),
    checks,
  };
}

/** `1.2 s`, `340 ms`, `3 min 5 s`: durations as people read them. */
export function seconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/** `12 KiB`, `3.4 MiB`, `1.20 GiB`: sizes as people read them. */
export function bytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * An SNS subject an on-call engineer can act on from a phone: verdict, target, what broke.
 * SNS takes at most 100 printable ASCII characters and no line breaks.
 */
export function subjectOf(report: DrillReport): string {
  const ascii = `Restore drill ${report.summary}`
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\s+/g, ' ');
  return ascii.length <= 99 ? ascii : `${ascii.slice(0, 96)}...`;
}

/** The failing checks, each with its message, then every check: aligned, each with its time. */
function checkLines(checks: CheckResult[]): string[] {
  const lines: string[] = [];
  const problems = checks.filter((c) => c.status === 'FAIL' || c.status === 'ERROR');
  for (const check of problems) lines.push(`${check.status} ${check.name}: ${check.message}`);
  if (problems.length) lines.push('');

  if (checks.length) {
    lines.push('Checks');
    const width = Math.max(...checks.map((c) => c.name.length));
    for (const c of checks) {
      lines.push(
        `  ${c.status.padEnd(5)} ${c.name.padEnd(width)} ${seconds(c.ms).padStart(8)}  ${c.message}`,
      );
    }
    lines.push('');
  }
  return lines;
}

/** A check's report as text: the verdict, the checks, their time and what was checked. */
function renderCheckText(report: CheckReport): string {
  const lines = [report.summary, '', ...checkLines(report.checks)];
  const { verify } = report.timings.phases;
  lines.push('Timings');
  lines.push(`  verify            ${verify === null ? 'n/a' : seconds(verify)}`);
  lines.push(`  total             ${seconds(report.timings.totalMs)}`, '');
  if (report.dataFreshness) {
    lines.push(
      `Newest data     ${report.dataFreshness.newestDataAt}, ${seconds(report.dataFreshness.lagMs)} before the check`,
    );
  }
  lines.push(...verifiedLine(report.verified));
  const tls = report.tls === 'none' ? 'no TLS' : `TLS ${report.tls}`;
  lines.push(
    `Checked         ${report.engine} database "${report.database}" at ${report.endpoint} (${tls}), started ${report.startedAt}`,
  );
  return lines.join('\n');
}

/** The report as text, the verdict and what broke first. */
export function renderText(report: DrillReport | CheckReport): string {
  if ('kind' in report) return renderCheckText(report);
  const lines: string[] = [report.summary, ''];
  if (report.failure) {
    lines.push(
      `Stopped at ${report.failure.step}: ${report.failure.error}: ${report.failure.message}`,
      '',
    );
  }
  lines.push(...checkLines(report.checks));

  const { phases, restoreMs, backendRestoreMs, timeToVerifiedMs, totalMs } = report.timings;
  const show = (ms: number | null) => (ms === null ? 'n/a' : seconds(ms));
  lines.push('Timings');
  lines.push(`  snapshot          ${show(phases.snapshot)} (requested to available)`);
  const measured =
    backendRestoreMs === null ? '' : `; ${seconds(backendRestoreMs)} as RDS recorded it`;
  lines.push(`  restore           ${show(restoreMs)} (requested to available${measured})`);
  lines.push(`  verify            ${show(phases.verify)}`);
  lines.push(`  teardown          ${show(phases.teardown)}`);
  lines.push(`  time to verified  ${show(timeToVerifiedMs)}`);
  lines.push(`  total             ${seconds(totalMs)}`, '');

  if (report.recoveryPoint) {
    const age =
      report.recoveryPoint.ageMs === null
        ? ''
        : `, ${seconds(report.recoveryPoint.ageMs)} old when verified`;
    lines.push(`Recovery point  ${report.recoveryPoint.at}${age}`);
  }
  if (report.dataFreshness) {
    lines.push(
      `Newest data     ${report.dataFreshness.newestDataAt}, ${seconds(report.dataFreshness.lagMs)} before the recovery point`,
    );
  }
  lines.push(...verifiedLine(report.verified));
  if (report.restoredFrom) {
    const { mode, kind, id, sizeBytes, engineVersion } = report.restoredFrom;
    const what = kind === 'snapshot' ? `snapshot ${id}` : `point in time of ${id}`;
    const size = sizeBytes === null ? '' : `, ${bytes(sizeBytes)}`;
    const version = engineVersion ? `, engine ${engineVersion}` : '';
    lines.push(`Restored from   ${what} (${mode}${size}${version})`);
  }
  if (report.copy) {
    const { id, kind, endpoint, instanceClass, engineVersion } = report.copy;
    const details = [instanceClass, engineVersion && `engine ${engineVersion}`].filter(Boolean);
    lines.push(
      `Restored copy   ${kind} ${id}${endpoint ? ` at ${endpoint}` : ''}${details.length ? ` (${details.join(', ')})` : ''}`,
    );
  }
  lines.push(`Teardown        ${report.teardown.status}: ${report.teardown.message}`);
  lines.push(
    `Drill           ${report.drillId}, ${report.engine} database "${report.database}", started ${report.startedAt}`,
  );
  return lines.join('\n');
}
