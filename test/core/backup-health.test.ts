import { describe, expect, it } from 'vitest';
import { judgeBackupHealth } from '#core/backup-health.ts';
import { verify } from '#core/steps.ts';
import { passingState } from '../fixtures/drill-state.ts';
import { FakeFleet, FakeVerifier, fakeDeps, passingChecks } from '../fixtures/fakes.ts';

const NOW = new Date('2026-11-23T03:30:00Z');
const limits = { maxRestorableLagMinutes: 60, maxAutomatedSnapshotAgeHours: 26 };
const verdicts = (checks: { name: string; status: string }[]) =>
  checks.map((c) => `${c.status} ${c.name}`);

describe('judgeBackupHealth', () => {
  it('passes backups that are on, restorable to minutes ago, with last night’s snapshot', () => {
    const checks = judgeBackupHealth(
      {
        retentionDays: 7,
        latestRestorableAt: '2026-11-23T03:25:00Z',
        newestAutomatedSnapshotAt: '2026-11-22T05:00:00Z',
      },
      limits,
      NOW,
    );

    expect(verdicts(checks)).toEqual([
      'PASS backup:retention',
      'PASS backup:restorable-lag',
      'PASS backup:automated-snapshot',
    ]);
    expect(checks[1]?.message).toBe(
      'latest restorable time 2026-11-23T03:25:00Z, 5 min 0 s ago (limit 60 min)',
    );
  });

  it('fails a log archive that lags and a snapshot that is too old, saying by how much', () => {
    const checks = judgeBackupHealth(
      {
        retentionDays: 1,
        latestRestorableAt: '2026-11-23T01:00:00Z',
        newestAutomatedSnapshotAt: '2026-11-20T05:00:00Z',
      },
      limits,
      NOW,
    );

    expect(verdicts(checks)).toEqual([
      'PASS backup:retention',
      'FAIL backup:restorable-lag',
      'FAIL backup:automated-snapshot',
    ]);
    expect(checks[2]?.message).toMatch(
      /taken 2026-11-20T05:00:00Z, 70 h 30 min ago \(limit 26 h\)/,
    );
  });

  it('fails backups that are off, and skips what cannot exist without them', () => {
    expect(verdicts(judgeBackupHealth({ retentionDays: 0 }, limits, NOW))).toEqual([
      'FAIL backup:retention',
      'SKIP backup:restorable-lag',
      'SKIP backup:automated-snapshot',
    ]);
  });

  it('fails when there is no restorable time or no automated snapshot at all', () => {
    const checks = judgeBackupHealth({ retentionDays: 7 }, limits, NOW);

    expect(checks.slice(1).map((c) => c.message)).toEqual([
      'RDS reports no latest restorable time: point-in-time recovery is not possible',
      'no available automated snapshot exists',
    ]);
  });
});

describe('Verify with a fleet that reports backups', () => {
  it('adds the backup checks after the copy’s, and an ERROR check when they cannot be read', async () => {
    const fleet = new FakeFleet();
    const state = passingState();
    fleet.instances.set(state.drillId, {
      id: state.drillId,
      kind: 'instance',
      phase: 'available',
      status: 'available',
      endpoint: { host: 'copy.internal', port: 5432 },
      tags: { 'restore-drill:drill-id': state.drillId },
    });
    const deps = fakeDeps({ fleet, verifier: new FakeVerifier(passingChecks) });
    Object.assign(fleet, { backupFacts: async () => ({ retentionDays: 0 }) });

    const healthy = await verify(state, deps);
    expect(verdicts(healthy.verification?.checks ?? [])).toEqual([
      'PASS connectivity',
      'PASS integrity',
      'FAIL backup:retention',
      'SKIP backup:restorable-lag',
      'SKIP backup:automated-snapshot',
    ]);

    Object.assign(fleet, {
      backupFacts: async () => {
        throw new Error('DescribeDBInstances failed: access denied');
      },
    });
    const unread = await verify(state, deps);
    expect(unread.verification?.checks.at(-1)).toMatchObject({
      name: 'backup-health',
      status: 'ERROR',
      message: 'DescribeDBInstances failed: access denied',
    });
  });
});
