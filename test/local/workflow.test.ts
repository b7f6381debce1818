import { describe, expect, it } from 'vitest';
import { targetSchema } from '#core/config.ts';
import type { Verification } from '#core/ports.ts';
import type { CheckResult } from '#core/state.ts';
import { type EventLog, runWorkflow } from '#local/workflow.ts';
import {
  FakeFleet,
  FakeVerifier,
  type FleetScript,
  failingChecks,
  fakeDeps,
  passingChecks,
  tickingClock,
} from '../fixtures/fakes.ts';

const target = targetSchema.parse({
  name: 'orders',
  engine: 'postgres',
  source: { dataDir: '/nowhere' },
  timeouts: { snapshotMinutes: 0.5, restoreMinutes: 0.5 },
});

/** Runs a whole drill of `target` on a fleet that follows `script`; its copy has a password. */
async function drill(
  script: FleetScript,
  checks: CheckResult[] | Verification | Error = passingChecks,
  ...later: Verification[]
) {
  const deps = fakeDeps({
    fleet: new FakeFleet({ ...script, password: 's3cret-password' }),
    verifier: new FakeVerifier(checks, ...later),
    clock: tickingClock(),
  });
  const events: EventLog[] = [];
  const run = await runWorkflow({ target }, deps, {
    waitMs: 0,
    retryMs: 0,
    onEvent: (event) => events.push(event),
  });
  return { run, events, ...deps };
}

describe('the workflow definition, interpreted', () => {
  it('passes a healthy drill, polling until each resource is ready, and leaves nothing behind', async () => {
    const { run, fleet, notifier } = await drill({ snapshotPolls: 2, restorePolls: 3 });
    expect(run.error).toBeUndefined();
    expect(notifier.reports).toHaveLength(1);
    expect(notifier.reports[0]?.status).toBe('PASS');
    expect(
      fleet.calls.filter((c) => c.startsWith('describeSnapshot')).length,
    ).toBeGreaterThanOrEqual(3);
    expect(fleet.calls).toContainEqual(expect.stringMatching(/^deleteInstance drill-orders-/));
    expect(fleet.calls).toContainEqual(expect.stringMatching(/^deleteSnapshot drill-orders-/));
    expect(fleet.leftovers()).toEqual([]);
  });

  it('runs Verify again while checks are left, then tears down and reports them all', async () => {
    const left = { 'read-all': { done: 3 } } as never;
    const unfinished = { name: 'read-all', status: 'ERROR' as const, message: 'not yet', ms: 5 };
    const { run, events, notifier, verifier } = await drill(
      {},
      { checks: [...passingChecks, unfinished], resume: left },
      { checks: [{ ...unfinished, message: 'not yet either' }], resume: left },
      { checks: [{ ...unfinished, status: 'PASS', message: '40 tables read' }] },
    );
    expect(run.error).toBeUndefined();
    const verifies = events.filter(
      (e) => e.type === 'StateEntered' && 'state' in e && e.state.name === 'Verify',
    );
    expect(verifies).toHaveLength(3);
    expect(verifier.requests.map((r) => r.resume)).toEqual([undefined, left, left]);
    expect(notifier.reports[0]).toMatchObject({
      status: 'PASS',
      checks: [...passingChecks, { name: 'read-all', status: 'PASS', ms: 15 }],
    });
  });

  it('reports a failed check, tears down, and ends in the DrillFailed state', async () => {
    const { run, fleet, notifier } = await drill({}, failingChecks);
    expect(notifier.reports[0]?.status).toBe('FAIL');
    expect(notifier.reports[0]?.summary).toContain('integrity');
    expect(run.error?.name).toBe('DrillFailedError');
    expect(run.error?.message).toContain('FAIL orders');
    expect(fleet.leftovers()).toEqual([]);
  });

  it.each([
    ['a refused snapshot', { snapshotFails: 'request' }, 'TakeSnapshot', 'SnapshotFailedError'],
    ['a snapshot that fails', { snapshotFails: 'status' }, 'CheckSnapshot', 'SnapshotFailedError'],
    [
      'a snapshot that takes too long',
      { snapshotPolls: 40 },
      'CheckSnapshot',
      'SnapshotTimeoutError',
    ],
    ['a refused restore', { restoreFails: 'request' }, 'RestoreInstance', 'RestoreFailedError'],
    ['a restore that fails', { restoreFails: 'status' }, 'CheckInstance', 'RestoreFailedError'],
  ] as const)(
    'reports ERROR for %s, naming the step, and tears down',
    async (_, script, step, error) => {
      const { run, fleet, notifier } = await drill(script);
      const report = notifier.reports[0];
      expect(notifier.reports).toHaveLength(1);
      expect(report?.status).toBe('ERROR');
      expect(report?.failure).toMatchObject({ step, error });
      expect(report?.teardown.status).toBe('DONE');
      expect(run.error?.name).toBe('DrillErroredError');
      expect(fleet.leftovers()).toEqual([]);
    },
  );

  it('waits for a copy still being created before deleting it, after a restore timeout', async () => {
    // The copy needs 40 polls but the drill gives up after 30 s; teardown retries until it can delete.
    const { fleet, notifier } = await drill({ restorePolls: 40 });
    expect(notifier.reports[0]?.failure?.error).toBe('RestoreTimeoutError');
    expect(notifier.reports[0]?.teardown.status).toBe('DONE');
    expect(fleet.leftovers()).toEqual([]);
  });

  it('reports a teardown that could not finish, so on-call knows a resource is left', async () => {
    const { fleet, notifier } = await drill({ snapshotPolls: 1_000_000 });
    const report = notifier.reports[0];
    expect(report?.status).toBe('ERROR');
    expect(report?.teardown).toMatchObject({
      status: 'ERROR',
      message: expect.stringContaining('TeardownPendingError'),
    });
    expect(report?.summary).toContain('teardown failed');
    expect(fleet.leftovers()).toHaveLength(1);
  });

  it('still tears down and reports when verification crashes', async () => {
    const { run, fleet, notifier } = await drill({}, new Error('verifier ran out of memory'));
    expect(notifier.reports[0]?.status).toBe('ERROR');
    expect(notifier.reports[0]?.failure).toMatchObject({
      step: 'Verify',
      message: 'verifier ran out of memory',
    });
    expect(run.error?.name).toBe('DrillErroredError');
    expect(fleet.leftovers()).toEqual([]);
  });

  it('gives the checks the restored copy, never the source', async () => {
    const { verifier } = await drill({});
    expect(verifier.connections).toEqual([expect.objectContaining({ host: 'copy.internal' })]);
  });

  it.each([
    ['a passing', passingChecks],
    ['a failing', failingChecks],
    ['a crashing', new Error('verifier crashed')],
  ] as const)(
    'keeps credentials out of every state and the report of %s drill',
    async (_, checks) => {
      const { events, notifier } = await drill({}, checks);
      expect(events.length).toBeGreaterThan(10);
      expect(JSON.stringify(events)).not.toContain('s3cret-password');
      expect(JSON.stringify(notifier.reports)).not.toContain('s3cret-password');
    },
  );
});
