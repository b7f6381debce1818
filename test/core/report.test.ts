import { describe, expect, it } from 'vitest';
import { targetSchema } from '#core/config.ts';
import { buildReport, causeMessage, renderText, subjectOf } from '#core/report.ts';
import type { CheckResult, DrillState } from '#core/state.ts';

const target = targetSchema.parse({
  name: 'orders',
  engine: 'postgres',
  source: { dataDir: '/data' },
});
const t = (s: number) => new Date(Date.parse('2026-11-23T03:00:00.000Z') + s * 1000).toISOString();

function finished(checks: CheckResult[], extra: Partial<DrillState> = {}): DrillState {
  return {
    target,
    keep: false,
    drillId: 'drill-orders-20261123t0300-ab12',
    startedAt: t(0),
    recoveryPoint: {
      kind: 'snapshot',
      owned: true,
      id: 'drill-orders-20261123t0300-ab12',
      status: 'available',
      requestedAt: t(1),
      availableAt: t(61),
      createdAt: t(2),
      sizeBytes: 5 << 20,
    },
    copy: {
      id: 'drill-orders-20261123t0300-ab12',
      kind: 'instance',
      status: 'available',
      requestedAt: t(62),
      availableAt: t(662),
      endpoint: { host: 'copy.internal', port: 5432 },
    },
    verification: { startedAt: t(663), finishedAt: t(700), checks },
    teardown: {
      status: 'DONE',
      startedAt: t(701),
      finishedAt: t(710),
      deleted: ['instance x', 'snapshot x'],
      message: 'deleted instance x and snapshot x',
    },
    ...extra,
  };
}

const pass = (name: string): CheckResult => ({ name, status: 'PASS', message: 'ok', ms: 5 });
const fail = (name: string, message = 'broken'): CheckResult => ({
  name,
  status: 'FAIL',
  message,
  ms: 5,
});

describe('buildReport', () => {
  it('passes when every check passes, with restore time and time to verified', () => {
    const report = buildReport(
      finished([pass('connectivity'), pass('integrity')]),
      new Date(t(720)),
    );
    expect(report.status).toBe('PASS');
    expect(report.timings.restoreMs).toBe(600_000);
    expect(report.timings.timeToVerifiedMs).toBe(700_000);
    expect(report.timings.phases).toEqual({
      snapshot: 60_000,
      restore: 600_000,
      verify: 37_000,
      teardown: 9_000,
    });
    expect(report.recoveryPoint).toEqual({ at: t(2), ageMs: 698_000 });
    expect(report.summary).toBe('PASS orders: 2 checks passed, restored in 10 min 0 s');
  });

  it('says which checks did not run in the first line of a passing drill', () => {
    const report = buildReport(
      finished([
        pass('connectivity'),
        pass('integrity'),
        {
          name: 'heap',
          status: 'SKIP',
          message: 'not run: amcheck 1.2 has no verify_heapam',
          ms: 0,
        },
      ]),
      new Date(t(720)),
    );
    expect(report.summary).toBe(
      'PASS orders: 2 checks passed, heap skipped, restored in 10 min 0 s',
    );
  });

  it('fails when a check fails, naming it first', () => {
    const report = buildReport(
      finished([pass('connectivity'), fail('integrity')]),
      new Date(t(720)),
    );
    expect(report.status).toBe('FAIL');
    expect(report.summary).toBe('FAIL orders: integrity failed');
  });

  it('is an ERROR when a check could not run', () => {
    const checks: CheckResult[] = [
      { name: 'connectivity', status: 'ERROR', message: 'timeout', ms: 1 },
    ];
    expect(buildReport(finished(checks), new Date(t(720))).status).toBe('ERROR');
  });

  it('is an ERROR naming the step when the drill stopped, with the Lambda error message', () => {
    const cause = JSON.stringify({
      errorType: 'RestoreFailedError',
      errorMessage: 'KMS key not accessible',
    });
    const state = finished([], {
      verification: undefined,
      failed: { RestoreInstance: { Error: 'RestoreFailedError', Cause: cause } },
    });
    const report = buildReport(state, new Date(t(720)));
    expect(report.status).toBe('ERROR');
    expect(report.failure).toEqual({
      step: 'RestoreInstance',
      error: 'RestoreFailedError',
      message: 'KMS key not accessible',
    });
    expect(report.summary).toBe('ERROR orders: RestoreInstance failed: KMS key not accessible');
  });

  it('is an ERROR when teardown failed even though the checks passed', () => {
    const state = finished([pass('connectivity')], {
      teardown: undefined,
      failed: { TearDown: { Error: 'States.Timeout', Cause: 'timed out' } },
    });
    const report = buildReport(state, new Date(t(720)));
    expect(report.status).toBe('ERROR');
    expect(report.teardown.status).toBe('ERROR');
  });

  it('is an ERROR, teardown first, when checks failed and teardown did not finish', () => {
    const state = finished([pass('connectivity'), fail('integrity')], {
      teardown: undefined,
      failed: { TearDown: { Error: 'TeardownPendingError', Cause: 'drill-x is creating' } },
    });
    const report = buildReport(state, new Date(t(720)));
    expect(report.status).toBe('ERROR');
    expect(report.summary).toBe(
      'ERROR orders: teardown failed: TeardownPendingError: drill-x is creating; integrity failed',
    );
  });

  it('takes the freshest data found as the data freshness lag', () => {
    const checks: CheckResult[] = [
      { ...pass('freshness:a.t'), metrics: { newestAt: t(-600), lagMs: 602_000 } },
      { ...pass('freshness:b.t'), metrics: { newestAt: t(-60), lagMs: 62_000 } },
    ];
    expect(buildReport(finished(checks), new Date(t(720))).dataFreshness).toEqual({
      newestDataAt: t(-60),
      lagMs: 62_000,
    });
  });
});

describe('causeMessage', () => {
  it('reads Lambda JSON causes and plain ones', () => {
    expect(causeMessage('{"errorMessage":"boom","errorType":"X"}')).toBe('boom');
    expect(causeMessage('plain words')).toBe('plain words');
    expect(causeMessage(undefined)).toBe('');
  });
});

describe('subjectOf', () => {
  it('fits SNS: at most 99 printable ASCII characters, no line breaks', () => {
    const checks = [fail('sql:no négative totals\nin orders '.repeat(10))];
    const subject = subjectOf(buildReport(finished(checks), new Date(t(720))));
    expect(subject.length).toBeLessThanOrEqual(99);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.startsWith('Restore drill FAIL orders: sql:no n?gative totals')).toBe(true);
  });
});

describe('renderText', () => {
  it('puts the verdict and the failing checks before everything else', () => {
    const text = renderText(
      buildReport(
        finished([pass('connectivity'), fail('integrity', 'index x on t: corrupt')]),
        new Date(t(720)),
      ),
    );
    const [first, , second] = text.split('\n');
    expect(first).toBe('FAIL orders: integrity failed');
    expect(second).toBe('FAIL integrity: index x on t: corrupt');
    expect(text).toContain('Teardown        DONE');
  });
});
