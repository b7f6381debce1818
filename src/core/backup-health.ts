import type { Target } from './config.ts';
import { seconds } from './report.ts';
import type { CheckResult } from './state.ts';

/** What a backend reports about a source's own backups (what the console's backup pages show). */
export interface BackupFacts {
  /** Days automated backups are kept; 0 means they are off. */
  retentionDays: number;
  /** The newest time a point-in-time restore can reach. */
  latestRestorableAt?: string;
  /** When the newest available automated snapshot was taken. */
  newestAutomatedSnapshotAt?: string;
}

type Limits = Target['backupHealth'];

/** Finds how old an instant is, and whether that is within a limit. */
function ageCheck(
  name: string,
  at: string | undefined,
  limitMs: number,
  now: Date,
  what: { missing: string; noun: string; limit: string },
  ms: number,
): CheckResult {
  if (!at) return { name, status: 'FAIL', message: what.missing, ms };
  const ageMs = now.getTime() - Date.parse(at);
  const within = ageMs <= limitMs;
  return {
    name,
    status: within ? 'PASS' : 'FAIL',
    message: `${what.noun} ${at}, ${seconds(Math.max(0, ageMs))} ago (limit ${what.limit})`,
    ms,
    metrics: { ageMs },
  };
}

/**
 * Judges a source's backups against the target's limits, every night, beside the drill's own
 * checks: automated backups on, point-in-time recovery reaching close to now, and a recent
 * automated snapshot. `ms` is how long gathering the facts took.
 */
export function judgeBackupHealth(
  facts: BackupFacts,
  limits: Limits,
  now: Date,
  ms = 0,
): CheckResult[] {
  const retention: CheckResult =
    facts.retentionDays > 0
      ? {
          name: 'backup:retention',
          status: 'PASS',
          message: `automated backups kept ${facts.retentionDays} days`,
          ms,
        }
      : {
          name: 'backup:retention',
          status: 'FAIL',
          message:
            'automated backups are off (retention 0): no point-in-time recovery and no automated snapshots',
          ms,
        };
  if (facts.retentionDays <= 0) {
    const skipped = (name: string): CheckResult => ({
      name,
      status: 'SKIP',
      message: 'automated backups are off',
      ms: 0,
    });
    return [retention, skipped('backup:restorable-lag'), skipped('backup:automated-snapshot')];
  }
  return [
    retention,
    ageCheck(
      'backup:restorable-lag',
      facts.latestRestorableAt,
      limits.maxRestorableLagMinutes * 60_000,
      now,
      {
        missing: 'RDS reports no latest restorable time: point-in-time recovery is not possible',
        noun: 'latest restorable time',
        limit: `${limits.maxRestorableLagMinutes} min`,
      },
      ms,
    ),
    ageCheck(
      'backup:automated-snapshot',
      facts.newestAutomatedSnapshotAt,
      limits.maxAutomatedSnapshotAgeHours * 3_600_000,
      now,
      {
        missing: 'no available automated snapshot exists',
        noun: 'newest automated snapshot taken',
        limit: `${limits.maxAutomatedSnapshotAgeHours} h`,
      },
      ms,
    ),
  ];
}
