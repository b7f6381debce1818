import type { BackupFacts } from './backup-health.ts';
import type { Target } from './config.ts';
import type { DrillReport } from './report.ts';
import type { CheckResult } from './state.ts';

/** Tags every resource a drill creates carries; teardown deletes nothing without them. */
export type Tags = Record<string, string>;

/** Where a resource is in its life, whatever the backend calls it. */
export type Phase = 'pending' | 'available' | 'failed' | 'deleting';

export interface SnapshotInfo {
  id: string;
  phase: Phase;
  /** The backend's own status word, shown to humans. */
  status: string;
  /** When the snapshot's data was captured (the recovery point). */
  createdAt?: string;
  sizeBytes?: number;
  tags: Tags;
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface InstanceInfo {
  id: string;
  phase: Phase;
  status: string;
  endpoint?: Endpoint;
  tags: Tags;
}

/** How to reach a restored copy. Holds credentials: never put it into drill state or logs. */
export interface ConnectionInfo extends Endpoint {
  database: string;
  user: string;
  password?: string;
  ssl?: { ca?: string; rejectUnauthorized: boolean };
}

/**
 * The databases a drill works on: snapshots a source, restores a copy, and deletes what it made.
 * Describe calls return `undefined` when the resource does not exist.
 */
export interface DatabaseFleet {
  createSnapshot(request: {
    source: Target['source'];
    snapshotId: string;
    tags: Tags;
  }): Promise<SnapshotInfo>;
  describeSnapshot(snapshotId: string): Promise<SnapshotInfo | undefined>;
  /**
   * Restores a snapshot to a new copy, made as `restore` says and from the settings of `source`
   * where `restore` leaves them to it (subnet, security and parameter groups).
   */
  restoreInstance(request: {
    source: Target['source'];
    restore: Target['restore'];
    snapshotId: string;
    instanceId: string;
    tags: Tags;
  }): Promise<InstanceInfo>;
  describeInstance(instanceId: string): Promise<InstanceInfo | undefined>;
  deleteInstance(instanceId: string): Promise<void>;
  deleteSnapshot(snapshotId: string): Promise<void>;
  /**
   * The source's own backups (retention, latest restorable time, newest automated snapshot), for
   * backends that keep them; a local fleet has none and leaves this out.
   */
  backupFacts?(source: Target['source']): Promise<BackupFacts>;
  /**
   * Credentials, address and TLS settings for a restored copy of `target`, resolved at the moment
   * of connecting and never stored.
   */
  connectionFor(instance: InstanceInfo, target: Target): Promise<ConnectionInfo>;
}

/** Runs a target's checks against a restored copy. */
export interface DatabaseVerifier {
  verify(
    connection: ConnectionInfo,
    checks: Target['checks'],
    recoveryPoint: Date,
  ): Promise<CheckResult[]>;
}

/** Delivers a finished drill's report to the people who act on it. */
export interface Notifier {
  publish(report: DrillReport): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
