import { describe, expect, it } from 'vitest';
import { targetSchema } from '#core/config.ts';
import {
  ConfigError,
  ForeignResourceError,
  SnapshotTimeoutError,
  TeardownPendingError,
} from '#core/errors.ts';
import { targetOfExecutionName } from '#core/execution-names.ts';
import { listTargets } from '#core/schedule.ts';
import type { DrillState } from '#core/state.ts';
import {
  checkSnapshot,
  drillIdFor,
  nextPollSeconds,
  recordBaseline,
  startDrill,
  tearDown,
  verify,
} from '#core/steps.ts';
import {
  FakeFleet,
  FakeVerifier,
  fakeDeps,
  fixedClock,
  instanceInfo,
  ownedBy,
  passingChecks,
  snapshotInfo,
  tickingClock,
} from '../fixtures/fakes.ts';

const target = targetSchema.parse({
  name: 'orders',
  engine: 'postgres',
  source: { dataDir: '/data' },
});

const depsWith = (fleet = new FakeFleet()) => fakeDeps({ fleet, clock: tickingClock() });

const base: DrillState = {
  target,
  keep: false,
  drillId: 'drill-orders-20261123t0300-ab12',
  startedAt: '2026-11-23T03:00:00.000Z',
};

/** The drill's own snapshot, available. */
const snapshotTaken = {
  kind: 'snapshot' as const,
  owned: true,
  id: base.drillId,
  status: 'available',
  requestedAt: base.startedAt,
};

/** `base` at Verify: its own snapshot and restored instance both available. */
const verifying: DrillState = {
  ...base,
  recoveryPoint: snapshotTaken,
  copy: { kind: 'instance', id: base.drillId, status: 'available', requestedAt: base.startedAt },
};

describe('drillIdFor', () => {
  it('makes an identifier RDS accepts for instances and snapshots', () => {
    const id = drillIdFor('a-thirty-character-target-name', new Date('2026-11-23T03:04:05Z'));
    expect(id).toMatch(/^drill-a-thirty-character-target-name-20261123t0304-[0-9a-f]{6}$/);
    expect(id.length).toBeLessThanOrEqual(63);
    expect(id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
  });
});

describe('nextPollSeconds', () => {
  it('backs off from 15 s to once a minute', () => {
    expect([0, 1, 2, 3, 10].map((polls) => nextPollSeconds(polls))).toEqual([15, 30, 60, 60, 60]);
  });

  it("waits about half of what the backend's progress says is left, between 5 s and 5 min", () => {
    const waitAt = (percent: number, elapsedMinutes: number) =>
      nextPollSeconds(3, { percent, elapsedMs: elapsedMinutes * 60_000 });
    expect(waitAt(10, 1)).toBe(270); // 9 min left
    expect(waitAt(2, 10)).toBe(300); // far off: at most 5 min
    expect(waitAt(50, 2)).toBe(60); // 2 min left
    expect(waitAt(99, 10)).toBe(5); // about to end
    expect(waitAt(0, 1)).toBe(60); // no progress yet: as without it
  });
});

describe('startDrill', () => {
  it('rejects an invalid target, naming the field', async () => {
    const error = await startDrill({ target: { ...target, name: 'Bad Name' } }, depsWith()).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('target.name');
  });

  it('takes a target named in the input from the stored configuration, as it is now', async () => {
    const other = { ...target, name: 'ledger' };
    const catalog = { targets: async () => [other, target] };

    const state = await startDrill({ targetName: target.name }, { ...depsWith(), catalog });

    expect(state.target).toEqual(target);
    expect(state.keep).toBe(false);
    expect(state.drillId).toMatch(new RegExp(`^drill-${target.name}-`));
  });

  it('names a target the stored configuration lacks, and a run that has none', async () => {
    const catalog = { targets: async () => [target] };

    await expect(startDrill({ targetName: 'nope' }, { ...depsWith(), catalog })).rejects.toThrow(
      'no target named "nope" in the stored configuration',
    );
    await expect(startDrill({ targetName: 'nope' }, depsWith())).rejects.toThrow(
      /has no stored configuration/,
    );
  });
});

describe('listTargets', () => {
  const catalog = {
    targets: async () => [target, { ...target, name: 'ledger' }, { ...target, name: 'billing' }],
  };
  const clock = fixedClock('2026-11-23T03:00:12.000Z');

  it('starts one drill per configured target, each named as the CLI names its drills', async () => {
    const { targets } = await listTargets({}, { catalog, clock });

    expect(targets.map((t) => t.targetName)).toEqual([target.name, 'ledger', 'billing']);
    for (const { targetName, executionName } of targets) {
      expect(executionName).toMatch(new RegExp(`^${targetName}-20261123t030012-[0-9a-f]{6}$`));
      expect(targetOfExecutionName(executionName)).toBe(targetName);
    }
  });

  it('starts only the listed targets, and none when one of them is not configured', async () => {
    const { targets } = await listTargets({ targets: ['billing'] }, { catalog, clock });
    expect(targets.map((t) => t.targetName)).toEqual(['billing']);

    await expect(listTargets({ targets: ['billing', 'gone'] }, { catalog, clock })).rejects.toThrow(
      'the stored configuration has no target named "gone"',
    );
  });
});

describe('checkSnapshot', () => {
  it('asks to wait again while the snapshot is being created', async () => {
    const fleet = new FakeFleet({ snapshots: [snapshotInfo(base.drillId, { phase: 'pending' })] });
    const state = {
      ...base,
      recoveryPoint: {
        kind: 'snapshot' as const,
        owned: true,
        id: base.drillId,
        status: 'creating',
        requestedAt: base.startedAt,
      },
    };
    const next = await checkSnapshot(state, depsWith(fleet));
    expect(next.wait).toEqual({ ready: false, seconds: 15, polls: 1 });
  });

  it('gives up when the time limit has passed', async () => {
    const fleet = new FakeFleet({ snapshots: [snapshotInfo(base.drillId, { phase: 'pending' })] });
    const requestedAt = '2026-11-23T01:00:00.000Z'; // two hours before the clock, limit 60 min
    const state = {
      ...base,
      recoveryPoint: {
        kind: 'snapshot' as const,
        owned: true,
        id: base.drillId,
        status: 'creating',
        requestedAt,
      },
    };
    await expect(checkSnapshot(state, depsWith(fleet))).rejects.toBeInstanceOf(
      SnapshotTimeoutError,
    );
  });
});

describe('verify', () => {
  it('refuses to check an instance that does not carry the drill tag', async () => {
    const fleet = new FakeFleet();
    fleet.plantForeign('instance', base.drillId);
    const deps = depsWith(fleet);
    const state = {
      ...base,
      recoveryPoint: {
        kind: 'snapshot' as const,
        owned: true,
        id: base.drillId,
        status: 'available',
        requestedAt: base.startedAt,
      },
      copy: {
        kind: 'instance' as const,
        id: base.drillId,
        status: 'available',
        requestedAt: base.startedAt,
      },
    };
    await expect(verify(state, deps)).rejects.toBeInstanceOf(ForeignResourceError);
    expect(deps.verifier.connections).toEqual([]);
  });
});

describe('verify over several invocations', () => {
  /** A drill state at Verify, its copy available on a db.r6g.2xlarge (8 vCPUs). */
  const atVerify = (fleet: FakeFleet): DrillState => {
    fleet.instances.set(base.drillId, {
      ...instanceInfo(base.drillId, { tags: ownedBy(base.drillId) }),
      instanceClass: 'db.r6g.2xlarge',
    });
    return verifying;
  };
  const left = { integrity: { after: '0000000041', done: 41 } } as never;
  const unfinished = {
    name: 'integrity',
    status: 'ERROR' as const,
    message: '41 of 90 B-tree indexes verified so far, the rest not yet, from index public.x',
    ms: 700_000,
  };
  const finished = { name: 'integrity', status: 'PASS' as const, message: '90 verified', ms: 500 };
  const connectivity = passingChecks[0] as (typeof passingChecks)[number];

  it('passes what is left back to the verifier, and merges its results, until nothing is', async () => {
    const fleet = new FakeFleet();
    const verifier = new FakeVerifier(
      { checks: [connectivity, unfinished], resume: left },
      { checks: [finished] },
    );
    const deps = fakeDeps({ fleet, verifier, clock: tickingClock() });
    const first = await verify({ ...atVerify(fleet), suggest: true }, deps);
    expect(first.verification).toMatchObject({ invocations: 1, resume: left });
    // Checks are proposed once, from the copy verified to the end.
    expect(first.suggestion).toBeUndefined();
    const second = await verify(first, deps);
    expect(second.suggestion?.checks).toMatchObject({ integrity: true });
    expect(verifier.suggested).toHaveLength(1);
    expect(second.verification).toMatchObject({
      invocations: 2,
      startedAt: first.verification?.startedAt,
      checks: [connectivity, { ...finished, ms: 700_500 }],
    });
    expect(second.verification?.resume).toBeUndefined();
    expect(verifier.requests.map((r) => [r.parallel, r.budgetMs, r.resume])).toEqual([
      [8, 12 * 60_000, undefined],
      [8, 12 * 60_000, left],
    ]);
  });

  it('ends at timeouts.verifyMinutes, each unfinished check an ERROR saying why', async () => {
    const fleet = new FakeFleet();
    const verifier = new FakeVerifier({ checks: [connectivity, unfinished], resume: left });
    // The clock moves 10 minutes a reading: little of a 30-minute limit is left after a call.
    const deps = fakeDeps({ fleet, verifier, clock: tickingClock(base.startedAt, 600_000) });
    const state = atVerify(fleet);
    state.target = { ...state.target, timeouts: { ...state.target.timeouts, verifyMinutes: 30 } };
    let next = await verify(state, deps);
    for (let i = 0; next.verification?.resume && i < 5; i++) next = await verify(next, deps);
    expect(next.verification?.resume).toBeUndefined();
    expect(next.verification?.checks[1]).toMatchObject({
      name: 'integrity',
      status: 'ERROR',
      message: `stopped at the verification time limit (timeouts.verifyMinutes = 30): ${unfinished.message}`,
    });
    expect(verifier.requests.length).toBeLessThanOrEqual(3);
  });
});

describe('tearDown', () => {
  /** A fleet holding this drill's available snapshot and restored copy. */
  const ownedCopyAndSnapshot = () =>
    new FakeFleet({
      snapshots: [snapshotInfo(base.drillId, { tags: ownedBy(base.drillId) })],
      instances: [instanceInfo(base.drillId, { tags: ownedBy(base.drillId) })],
    });

  it('deletes nothing that lacks the drill tag', async () => {
    const fleet = new FakeFleet();
    fleet.plantForeign('instance', base.drillId);
    await expect(tearDown(base, depsWith(fleet))).rejects.toBeInstanceOf(ForeignResourceError);
    expect(fleet.calls.filter((c) => c.startsWith('delete'))).toEqual([]);
  });

  it('deletes the drill copy before its snapshot', async () => {
    const fleet = ownedCopyAndSnapshot();
    const next = await tearDown(base, depsWith(fleet));
    expect(fleet.calls.filter((c) => c.startsWith('delete'))).toEqual([
      `deleteInstance ${base.drillId}`,
      `deleteSnapshot ${base.drillId}`,
    ]);
    expect(next.teardown).toMatchObject({
      status: 'DONE',
      deleted: [`instance ${base.drillId}`, `snapshot ${base.drillId}`],
    });
  });

  it('asks to be retried while a resource is still being created', async () => {
    const fleet = new FakeFleet({
      instances: [instanceInfo(base.drillId, { phase: 'pending', tags: ownedBy(base.drillId) })],
    });
    await expect(tearDown(base, depsWith(fleet))).rejects.toBeInstanceOf(TeardownPendingError);
  });

  it('has nothing to do when the drill created nothing', async () => {
    const next = await tearDown(base, depsWith());
    expect(next.teardown).toMatchObject({ status: 'DONE', message: 'nothing to delete' });
  });

  it('keeps the copy when asked, and still deletes the snapshot', async () => {
    const fleet = ownedCopyAndSnapshot();
    const next = await tearDown({ ...base, keep: true }, depsWith(fleet));
    expect(next.teardown?.status).toBe('KEPT');
    expect(fleet.leftovers()).toEqual([base.drillId]);
    expect(fleet.instances.has(base.drillId)).toBe(true);
  });

  it('does not keep a copy that never became available', async () => {
    const tags = ownedBy(base.drillId);
    const fleet = new FakeFleet({
      snapshots: [snapshotInfo(base.drillId, { tags })],
      instances: [instanceInfo(base.drillId, { phase: 'failed', tags })],
    });
    const next = await tearDown({ ...base, keep: true }, depsWith(fleet));
    expect(next.teardown?.status).toBe('DONE');
    expect(fleet.leftovers()).toEqual([]);
  });
});

describe('the baseline', () => {
  const rdsTarget = targetSchema.parse({
    name: 'orders',
    engine: 'postgres',
    database: 'shop',
    source: { instance: 'orders-prod' },
    checks: {
      baseline: {
        sourceSecretArn:
          'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-reader-AbCdEf',
      },
    },
  });
  const localTarget = targetSchema.parse({ ...target, checks: { baseline: {} } });
  const source = { 'public.orders': 120_000, 'public.items': 5_000 };

  /** A drill of `t` at Verify, its copy available and answering the given table counts. */
  const atVerify = (t = localTarget, copyCounts: Record<string, number | null> = source) => {
    const fleet = new FakeFleet({
      instances: [
        { ...instanceInfo(base.drillId, { tags: ownedBy(base.drillId) }), endpoint: COPY },
      ],
    });
    const verifier = new FakeVerifier(passingChecks);
    verifier.counts.set(COPY.host, copyCounts);
    verifier.counts.set('source.internal', source);
    const deps = fakeDeps({ fleet, verifier, clock: tickingClock() });
    const state: DrillState = {
      ...verifying,
      target: t,
      recoveryPoint: { ...snapshotTaken, createdAt: '2026-11-23T03:00:02.000Z' },
    };
    return { state, deps };
  };
  const COPY = { host: 'copy.internal', port: 5432 };
  const baselineCheck = (state: DrillState) =>
    state.verification?.checks.find((c) => c.name === 'baseline');
  const lastCopy = (from: string) => ({
    from: 'copy' as const,
    takenAt: '2026-11-22T03:00:02.000Z',
    drillId: from,
    tables: source,
  });

  it('skips the first drill, and keeps its passing copy as the next one’s baseline', async () => {
    const { state, deps } = atVerify();
    const verified = await verify(state, deps);
    expect(baselineCheck(verified)).toMatchObject({
      status: 'SKIP',
      message: expect.stringContaining('no baseline yet'),
    });
    expect(deps.baselines.kept.get('orders/last-copy')).toEqual({
      from: 'copy',
      takenAt: '2026-11-23T03:00:02.000Z',
      drillId: base.drillId,
      tables: source,
    });
  });

  it('fails a copy missing a table of the last copy that passed, and keeps that one', async () => {
    const { state, deps } = atVerify(localTarget, { 'public.orders': 121_000 });
    const previous = lastCopy('drill-orders-20261122t0300-cd34');
    await deps.baselines.save('orders', 'last-copy', previous);
    const verified = await verify(state, deps);
    expect(baselineCheck(verified)).toMatchObject({
      status: 'FAIL',
      message:
        '1 of 2 tables missing: public.items (against the baseline from the copy of drill-orders-20261122t0300-cd34 at 2026-11-22T03:00:02.000Z)',
    });
    expect(deps.baselines.kept.get('orders/last-copy')).toEqual(previous);
  });

  it('keeps no copy whose own checks failed as a baseline', async () => {
    const { state, deps } = atVerify();
    const failing = new FakeVerifier([
      { name: 'integrity', status: 'FAIL', message: 'index public.orders_pkey is corrupt', ms: 3 },
    ]);
    failing.counts.set(COPY.host, source);
    await verify(state, { ...deps, verifier: failing });
    expect(deps.baselines.kept.has('orders/last-copy')).toBe(false);
  });

  it('records the source’s counts through a read-only connection, and compares the copy with them', async () => {
    const { state, deps } = atVerify(rdsTarget, { 'public.orders': 30_000, 'public.items': 5_000 });
    const recorded = await recordBaseline(state, deps);
    expect(deps.fleet.calls).toContain('sourceConnection orders');
    expect(recorded.baseline).toEqual({ takenAt: expect.any(String), tables: 2 });
    const verified = await verify(recorded, deps);
    expect(baselineCheck(verified)).toMatchObject({
      status: 'FAIL',
      message: expect.stringMatching(
        /^1 table more than 50% below its count: public\.orders has ~30,000 rows against ~120,000 rows \(against the baseline from the source at /,
      ),
    });
  });

  it('compares with the last copy that passed when the source cannot be read, saying why', async () => {
    const { state, deps } = atVerify(rdsTarget);
    const unreachable = new FakeFleet({
      sourceFails: new Error('connect ETIMEDOUT 10.0.1.5:5432'),
    });
    const recorded = await recordBaseline(state, { ...deps, fleet: unreachable });
    expect(recorded.baseline).toEqual({
      takenAt: expect.any(String),
      error: 'connect ETIMEDOUT 10.0.1.5:5432',
    });
    await deps.baselines.save('orders', 'last-copy', lastCopy('drill-orders-20261122t0300-cd34'));
    const verified = await verify(recorded, deps);
    expect(baselineCheck(verified)).toMatchObject({
      status: 'PASS',
      message: expect.stringContaining(
        "(the source's catalog could not be read: connect ETIMEDOUT 10.0.1.5:5432; compared with the copy of drill-orders-20261122t0300-cd34 at 2026-11-22T03:00:02.000Z)",
      ),
    });
  });

  it('reads nothing for a target without a baseline, or a local one', async () => {
    for (const t of [target, localTarget]) {
      const { state, deps } = atVerify(t);
      expect(await recordBaseline(state, deps)).toBe(state);
      expect(deps.fleet.calls).not.toContain('sourceConnection orders');
    }
    const { state, deps } = atVerify(target);
    const verified = await verify(state, deps);
    expect(baselineCheck(verified)).toBeUndefined();
    expect(deps.verifier.counted).toEqual([]);
  });

  it('is an ERROR, never a PASS, when the store cannot be read', async () => {
    const { state, deps } = atVerify();
    deps.baselines.load = async () => {
      throw new Error('AccessDenied');
    };
    const verified = await verify(state, deps);
    expect(baselineCheck(verified)).toMatchObject({ status: 'ERROR', message: 'AccessDenied' });
  });
});
