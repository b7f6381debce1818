import type { BackupFacts } from './backup-health.ts';
import type { Baseline, TableCounts } from './baseline.ts';
import type { Engine, RecoveryPoint, RestoreSettings, Target, TargetSource } from './config.ts';
import type { DrillReport } from './report.ts';
import type { CheckResult, VerifyProgress } from './state.ts';

/** Tags every resource a drill creates carries; teardown deletes nothing without them. */
export type Tags = Record<string, string>;

/** Where a resource is in its life, whatever the backend calls it. */
export type Phase = 'pending' | 'available' | 'failed' | 'deleting';

/** A snapshot a drill took or picked, as the backend describes it. */
export interface SnapshotInfo {
  /** Its identifier, or ARN for one shared from another account. */
  id: string;
  phase: Phase;
  /** The backend's own status word, shown to humans. */
  status: string;
  /** When the snapshot's data was captured (the recovery point). */
  createdAt?: string;
  sizeBytes?: number;
  /** The engine version of the data, as the backend records it. */
  engineVersion?: string;
  /** How far a snapshot being taken is, in percent, where the backend says. */
  progress?: number;
  tags: Tags;
}

/**
 * The backup a drill restores: a snapshot (the drill's own, the newest automated one, or one the
 * configuration names) or a point in time of the source's continuous backups.
 */
export interface RecoveryPointInfo extends SnapshotInfo {
  kind: 'snapshot' | 'point-in-time';
  /** The drill took it and deletes it at teardown. A backup it picked is never its own. */
  owned: boolean;
}

/** What a restore needs to know about its recovery point, as drill state keeps it. */
export interface RecoveryPointRef {
  kind: RecoveryPointInfo['kind'];
  id: string;
  /** For a point in time: the instant restored to. */
  createdAt?: string;
}

export interface Endpoint {
  host: string;
  port: number;
}

/** A restored copy: a DB instance, or an Aurora cluster with the instance a drill adds to it. */
export interface CopyInfo {
  id: string;
  kind: 'instance' | 'cluster';
  phase: Phase;
  status: string;
  endpoint?: Endpoint;
  /** The class the copy runs on, and the engine version it runs. */
  instanceClass?: string;
  engineVersion?: string;
  /** When the backend says the copy came into being: restore time as the backend measured it. */
  createdAt?: string;
  tags: Tags;
}

/** How to reach a restored copy. Holds credentials: never put it into drill state or logs. */
export interface ConnectionInfo extends Endpoint {
  /**
   * The engine the copy runs, which picks its checks (verifierFor), from a fleet that serves
   * more than one; a PostgreSQL-only fleet (PGlite) may leave it out.
   */
  engine?: Engine;
  database: string;
  user: string;
  password?: string;
  ssl?: { ca?: string; rejectUnauthorized: boolean };
  /** Most sessions the server takes at once, where it takes few (PGlite serves one). */
  maxSessions?: number;
}

/**
 * The databases a drill works on: picks or makes a recovery point of a source, restores a copy
 * from it, and deletes what it made. Describe calls return `undefined` when the resource does
 * not exist. Calls about a copy or a snapshot take the target's source, which says what kind of
 * resource it is (an instance's or a cluster's).
 */
export interface DatabaseFleet {
  /**
   * Takes or picks the recovery point `recoveryPoint` names: a snapshot taken now is named
   * `snapshotId` and tagged `tags`; a picked backup is only looked up, never tagged.
   */
  prepareRecoveryPoint(request: {
    source: TargetSource;
    recoveryPoint: RecoveryPoint;
    snapshotId: string;
    tags: Tags;
  }): Promise<RecoveryPointInfo>;
  /** The recovery point as it is now (a snapshot still being taken, logs not yet archived). */
  describeRecoveryPoint(
    point: RecoveryPointRef,
    source: TargetSource,
  ): Promise<RecoveryPointInfo | undefined>;
  /**
   * Restores a recovery point to a new copy, made as `restore` says and from the settings of
   * `source` where `restore` leaves them to it (subnet, security and parameter groups).
   */
  restoreCopy(request: {
    source: TargetSource;
    restore: RestoreSettings;
    recoveryPoint: RecoveryPointRef;
    copyId: string;
    tags: Tags;
  }): Promise<CopyInfo>;
  /**
   * One poll of a copy on its way to ready: describes it and, once it is available but not yet
   * usable, starts what it needs next (an Aurora cluster's instance, a managed master secret).
   * Safe to repeat; acts only on a copy tagged as the drill's.
   */
  advanceCopy(request: {
    copyId: string;
    target: Target;
    tags: Tags;
  }): Promise<CopyInfo | undefined>;
  describeCopy(copyId: string, source: TargetSource): Promise<CopyInfo | undefined>;
  /** Deletes a copy, all of it (an Aurora cluster after its instance); gone already is done. */
  deleteCopy(copyId: string, source: TargetSource): Promise<void>;
  /** The drill's own snapshot, looked up by its id. */
  describeSnapshot(snapshotId: string, source: TargetSource): Promise<SnapshotInfo | undefined>;
  deleteSnapshot(snapshotId: string, source: TargetSource): Promise<void>;
  /**
   * The source's own backups (retention, latest restorable time, newest automated snapshot), for
   * backends that keep them; a local fleet has none and leaves this out.
   */
  backupFacts?(source: TargetSource): Promise<BackupFacts>;
  /**
   * Credentials, address and TLS settings for a restored copy of `target`, resolved at the moment
   * of connecting and never stored.
   */
  connectionFor(copy: CopyInfo, target: Target): Promise<ConnectionInfo>;
  /**
   * A read-only way into the source itself (an Aurora cluster's reader endpoint), with the
   * credentials of `checks.baseline.sourceSecretArn`, for reading its catalog; a local fleet,
   * whose sources a drill never opens, leaves this out.
   */
  sourceConnection?(target: Target): Promise<ConnectionInfo>;
}

/** One call of a verifier: what to check, over how many sessions, and for how long. */
export interface VerifyRequest {
  connection: ConnectionInfo;
  checks: Target['checks'];
  /** The point in time the copy's data is from: freshness is measured against it. */
  recoveryPoint: Date;
  /** Sessions the checks that walk the database share the work over. */
  parallel: number;
  /** How long this call may read the database; what is left over comes back as `resume`. */
  budgetMs: number;
  /** Where an earlier call stopped: only the checks it names run, each from where it was. */
  resume?: VerifyProgress;
}

export interface Verification {
  /**
   * A result for each check run: final, or, for a check named in `resume`, an ERROR saying how
   * far it got, which stands if verification goes no further.
   */
  checks: CheckResult[];
  /** The checks left unfinished when the budget ran out, to pass back as `resume`. */
  resume?: VerifyProgress;
}

/** What a table's suggested checks hold, as the configuration's `checks.tables.<table>` has it. */
export interface SuggestedTable {
  minRows?: number;
  freshness?: { column: string; maxAgeMinutes: number };
  columns: Record<string, string>;
}

/** A starting `checks` object for a target, and what was left out of it and why. */
export interface Suggestion {
  checks: { integrity: true; tables: Record<string, SuggestedTable> };
  /** One line each: a table or column left out, a count or newest value not read in time. */
  notes: string[];
}

/** Runs a target's checks against a restored copy, as far as one call's budget goes. */
export interface DatabaseVerifier {
  verify(request: VerifyRequest): Promise<Verification>;
  /**
   * Proposes a target's checks from the copy's catalog (`restore-drill run --suggest`), its
   * freshness limits measured from the recovery point.
   */
  suggest(connection: ConnectionInfo, recoveryPoint: Date): Promise<Suggestion>;
  /**
   * The user tables of the database and the rows the catalog estimates each holds, read in a
   * read-only transaction: names and numbers, never data.
   */
  tableCounts(connection: ConnectionInfo): Promise<TableCounts>;
}

/** Where a target's baselines are kept, between the steps and the drills that use them. */
export interface BaselineStore {
  /** The baseline kept for `target` under `key` (a drill's id, or LAST_COPY). */
  load(target: string, key: string): Promise<Baseline | undefined>;
  save(target: string, key: string, baseline: Baseline): Promise<void>;
}

/** The targets the deployed stack drills: the configuration it stores, read when asked. */
export interface TargetCatalog {
  targets(): Promise<Target[]>;
}

/** Delivers a finished drill's report to the people who act on it. */
export interface Notifier {
  publish(report: DrillReport): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
