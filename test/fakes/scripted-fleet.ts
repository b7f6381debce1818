import { RestoreFailedError, SnapshotFailedError } from '#core/errors.ts';
import type {
  Clock,
  ConnectionInfo,
  DatabaseFleet,
  DatabaseVerifier,
  InstanceInfo,
  Notifier,
  Phase,
  SnapshotInfo,
  Tags,
} from '#core/ports.ts';
import type { DrillReport } from '#core/report.ts';
import type { CheckResult } from '#core/state.ts';

/** How a scripted fleet behaves: how many polls until ready, and where it breaks. */
export interface FleetScript {
  snapshotPolls?: number;
  restorePolls?: number;
  /** `request`: the API call is refused; `status`: the resource ends up failed. */
  snapshotFails?: 'request' | 'status';
  restoreFails?: 'request' | 'status';
}

interface Resource {
  id: string;
  tags: Tags;
  pollsLeft: number;
  failed: boolean;
}

/**
 * An in-memory fleet that follows a script, records every call, and knows what is still
 * there, so a test can assert that nothing was left behind.
 */
export class ScriptedFleet implements DatabaseFleet {
  readonly calls: string[] = [];
  readonly snapshots = new Map<string, Resource>();
  readonly instances = new Map<string, Resource>();
  readonly script: FleetScript;

  constructor(script: FleetScript = {}) {
    this.script = script;
  }

  /** A resource the drill did not make, e.g. production, under an id a drill might use. */
  plantForeign(kind: 'snapshot' | 'instance', id: string): void {
    const map = kind === 'snapshot' ? this.snapshots : this.instances;
    map.set(id, { id, tags: { owner: 'production' }, pollsLeft: 0, failed: false });
  }

  private phase(resource: Resource): Phase {
    if (resource.failed) return 'failed';
    if (resource.pollsLeft > 0) {
      resource.pollsLeft -= 1;
      return 'pending';
    }
    return 'available';
  }

  async createSnapshot({
    snapshotId,
    tags,
  }: {
    snapshotId: string;
    tags: Tags;
  }): Promise<SnapshotInfo> {
    this.calls.push(`createSnapshot ${snapshotId}`);
    if (this.script.snapshotFails === 'request')
      throw new SnapshotFailedError('source database is not available');
    this.snapshots.set(snapshotId, {
      id: snapshotId,
      tags,
      pollsLeft: this.script.snapshotPolls ?? 0,
      failed: this.script.snapshotFails === 'status',
    });
    return { id: snapshotId, phase: 'pending', status: 'creating', tags };
  }

  async describeSnapshot(id: string): Promise<SnapshotInfo | undefined> {
    this.calls.push(`describeSnapshot ${id}`);
    const s = this.snapshots.get(id);
    if (!s) return undefined;
    const phase = this.phase(s);
    const status = phase === 'pending' ? 'creating' : phase;
    return {
      id,
      phase,
      status,
      createdAt: '2026-11-23T03:00:00.000Z',
      sizeBytes: 1024,
      tags: s.tags,
    };
  }

  async restoreInstance({
    snapshotId,
    instanceId,
    tags,
  }: {
    snapshotId: string;
    instanceId: string;
    tags: Tags;
  }): Promise<InstanceInfo> {
    this.calls.push(`restoreInstance ${snapshotId} -> ${instanceId}`);
    if (this.script.restoreFails === 'request')
      throw new RestoreFailedError('KMS key not accessible');
    this.instances.set(instanceId, {
      id: instanceId,
      tags,
      pollsLeft: this.script.restorePolls ?? 0,
      failed: this.script.restoreFails === 'status',
    });
    return { id: instanceId, phase: 'pending', status: 'creating', tags };
  }

  async describeInstance(id: string): Promise<InstanceInfo | undefined> {
    this.calls.push(`describeInstance ${id}`);
    const i = this.instances.get(id);
    if (!i) return undefined;
    const phase = this.phase(i);
    const status =
      phase === 'pending' ? 'creating' : phase === 'failed' ? 'incompatible-restore' : 'available';
    return { id, phase, status, endpoint: { host: 'copy.internal', port: 5432 }, tags: i.tags };
  }

  async deleteInstance(id: string): Promise<void> {
    this.calls.push(`deleteInstance ${id}`);
    this.instances.delete(id);
  }

  async deleteSnapshot(id: string): Promise<void> {
    this.calls.push(`deleteSnapshot ${id}`);
    this.snapshots.delete(id);
  }

  async connectionFor(instance: InstanceInfo, database: string): Promise<ConnectionInfo> {
    return {
      host: instance.endpoint?.host ?? '',
      port: instance.endpoint?.port ?? 0,
      database,
      user: 'drill',
      password: 's3cret-password',
    };
  }

  /** What the drill made and did not delete. */
  leftovers(): string[] {
    return [...this.snapshots.keys(), ...this.instances.keys()];
  }
}

/** A verifier that returns fixed results, or throws. */
export class ScriptedVerifier implements DatabaseVerifier {
  readonly connections: ConnectionInfo[] = [];
  readonly results: CheckResult[] | Error;

  constructor(results: CheckResult[] | Error) {
    this.results = results;
  }

  async verify(connection: ConnectionInfo): Promise<CheckResult[]> {
    this.connections.push(connection);
    if (this.results instanceof Error) throw this.results;
    return this.results;
  }
}

export class RecordingNotifier implements Notifier {
  readonly reports: DrillReport[] = [];
  async publish(report: DrillReport): Promise<void> {
    this.reports.push(report);
  }
}

/** A clock that moves a fixed step forward each time it is read. */
export function steppingClock(start = '2026-11-23T03:00:00.000Z', stepMs = 1000): Clock {
  let t = Date.parse(start);
  return {
    now: () => {
      const now = new Date(t);
      t += stepMs;
      return now;
    },
  };
}

export const passing: CheckResult[] = [
  { name: 'connectivity', status: 'PASS', message: 'PostgreSQL 16.4', ms: 12 },
  { name: 'integrity', status: 'PASS', message: '9 B-tree indexes verified', ms: 80 },
];

export const failing: CheckResult[] = [
  passing[0] as CheckResult,
  {
    name: 'integrity',
    status: 'FAIL',
    message: 'index public.orders_total_idx on public.orders: corrupt',
    ms: 80,
  },
];
