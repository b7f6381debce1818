import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  type DBCluster,
  type DBInstance,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  type DescribeDBSnapshotsMessage,
} from '@aws-sdk/client-rds';
import type { BackupFacts } from '#core/backup-health.ts';
import type { RecoveryPoint, TargetSource } from '#core/config.ts';
import {
  ForeignResourceError,
  RestoreFailedError,
  SnapshotFailedError,
  TeardownPendingError,
} from '#core/errors.ts';
import type { RecoveryPointInfo, RecoveryPointRef, SnapshotInfo, Tags } from '#core/ports.ts';
import { DRILL_ID_TAG } from '#core/steps.ts';
import { isAlreadyExists, isNotFound, toDrillError } from './errors.ts';
import { type RdsContext, snapshotInfo, toTagList } from './resources.ts';

/** The source itself: where a restore takes its settings and a point in time its bounds. */
export async function describeSource(
  rds: RdsContext,
  source: TargetSource,
): Promise<{ instance?: DBInstance; cluster?: DBCluster }> {
  const { id, cluster } = rds.source(source);
  const call = { action: '', subject: `source ${id}`, Failed: RestoreFailedError };
  if (cluster) {
    const { DBClusters = [] } = await rds.send({ ...call, action: 'DescribeDBClusters' }, () =>
      rds.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
    );
    if (!DBClusters[0]) throw new RestoreFailedError(`source cluster ${id} was not found`);
    return { cluster: DBClusters[0] };
  }
  const { DBInstances = [] } = await rds.send({ ...call, action: 'DescribeDBInstances' }, () =>
    rds.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
  );
  if (!DBInstances[0]) throw new RestoreFailedError(`source ${id} was not found`);
  return { instance: DBInstances[0] };
}

/**
 * How DescribeDBSnapshots finds a snapshot by id: an automated one (`rds:...`) only with its
 * type, one shared from another account (an ARN) only with shared snapshots included.
 */
function snapshotLookup(id: string): DescribeDBSnapshotsMessage {
  if (id.startsWith('rds:')) return { DBSnapshotIdentifier: id, SnapshotType: 'automated' };
  if (id.startsWith('arn:')) return { DBSnapshotIdentifier: id, IncludeShared: true };
  return { DBSnapshotIdentifier: id };
}

/** A DB snapshot or DB cluster snapshot by id or ARN; `undefined` when there is none. */
export async function describeSnapshot(
  rds: RdsContext,
  snapshotId: string,
  source: TargetSource,
): Promise<SnapshotInfo | undefined> {
  const { cluster } = rds.source(source);
  const lookup = snapshotLookup(snapshotId);
  try {
    if (cluster) {
      const { DBClusterSnapshots = [] } = await rds.client.send(
        new DescribeDBClusterSnapshotsCommand({
          DBClusterSnapshotIdentifier: snapshotId,
          SnapshotType: lookup.SnapshotType,
          IncludeShared: lookup.IncludeShared,
        }),
      );
      return DBClusterSnapshots[0] && snapshotInfo(DBClusterSnapshots[0]);
    }
    const { DBSnapshots = [] } = await rds.client.send(new DescribeDBSnapshotsCommand(lookup));
    return DBSnapshots[0] && snapshotInfo(DBSnapshots[0]);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw toDrillError(error, {
      action: cluster ? 'DescribeDBClusterSnapshots' : 'DescribeDBSnapshots',
      subject: `snapshot ${snapshotId}`,
      Failed: SnapshotFailedError,
    });
  }
}

/** Takes the drill's own manual snapshot; a retry that finds it already made carries on. */
async function takeSnapshot(
  rds: RdsContext,
  source: TargetSource,
  snapshotId: string,
  tags: Tags,
): Promise<SnapshotInfo> {
  const { id: sourceId, cluster } = rds.source(source);
  rds.notSource(snapshotId, 'create');
  try {
    if (cluster) {
      const { DBClusterSnapshot } = await rds.client.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterIdentifier: sourceId,
          DBClusterSnapshotIdentifier: snapshotId,
          Tags: toTagList(tags),
        }),
      );
      return snapshotInfo({ ...DBClusterSnapshot, TagList: toTagList(tags) });
    }
    const { DBSnapshot } = await rds.client.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: sourceId,
        DBSnapshotIdentifier: snapshotId,
        Tags: toTagList(tags),
      }),
    );
    return snapshotInfo({ ...DBSnapshot, TagList: toTagList(tags) });
  } catch (error) {
    if (!isAlreadyExists(error)) {
      throw toDrillError(error, {
        action: cluster ? 'CreateDBClusterSnapshot' : 'CreateDBSnapshot',
        subject: `source ${sourceId}`,
        Failed: SnapshotFailedError,
      });
    }
    return rds.own(await describeSnapshot(rds, snapshotId, source), tags);
  }
}

/** The newest available automated snapshot of the source: the backups the team relies on. */
export async function newestAutomatedSnapshot(
  rds: RdsContext,
  source: TargetSource,
): Promise<SnapshotInfo | undefined> {
  const { id, cluster } = rds.source(source);
  const call = {
    action: cluster ? 'DescribeDBClusterSnapshots' : 'DescribeDBSnapshots',
    subject: `automated snapshots of ${id}`,
    Failed: SnapshotFailedError,
  };
  const snapshots = await rds.send(call, async () => {
    if (cluster) {
      const { DBClusterSnapshots = [] } = await rds.client.send(
        new DescribeDBClusterSnapshotsCommand({
          DBClusterIdentifier: id,
          SnapshotType: 'automated',
        }),
      );
      return DBClusterSnapshots.map(snapshotInfo);
    }
    const { DBSnapshots = [] } = await rds.client.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: id, SnapshotType: 'automated' }),
    );
    return DBSnapshots.map(snapshotInfo);
  });
  return snapshots
    .filter((s) => s.phase === 'available' && s.createdAt)
    .sort((a, b) => Date.parse(b.createdAt ?? '') - Date.parse(a.createdAt ?? ''))[0];
}

/**
 * A point in time of the source's continuous backups: ready once the source's latest restorable
 * time has reached it; refused if it is in the future or older than the backups reach.
 */
async function pointInTime(
  rds: RdsContext,
  source: TargetSource,
  at: 'latest' | string,
  now: Date,
): Promise<RecoveryPointInfo> {
  const { instance, cluster } = await describeSource(rds, source);
  const { id } = rds.source(source);
  const of = instance ?? cluster;
  const retentionDays = of?.BackupRetentionPeriod ?? 0;
  const latest = of?.LatestRestorableTime;
  if (!retentionDays || !latest) {
    throw new SnapshotFailedError(
      `source ${id} has no point-in-time recovery (automated backups are off): turn them on, or drill a snapshot`,
    );
  }
  const target = at === 'latest' ? latest : new Date(at);
  const earliest =
    cluster?.EarliestRestorableTime ?? new Date(now.getTime() - retentionDays * 86_400_000);
  if (target.getTime() > now.getTime()) {
    throw new SnapshotFailedError(`recoveryPoint.at ${at} is in the future`);
  }
  if (target.getTime() < earliest.getTime()) {
    throw new SnapshotFailedError(
      `recoveryPoint.at ${at} is before the earliest restorable time of ${id} (${earliest.toISOString()})`,
    );
  }
  const reached = target.getTime() <= latest.getTime();
  return {
    kind: 'point-in-time',
    owned: false,
    id,
    phase: reached ? 'available' : 'pending',
    status: reached
      ? 'restorable'
      : `waiting for the logs to reach it (latest restorable ${latest.toISOString()})`,
    createdAt: target.toISOString(),
    engineVersion: of?.EngineVersion,
    tags: {},
  };
}

/** Takes or picks the recovery point a target names. A picked backup is never the drill's own. */
export async function prepareRecoveryPoint(
  rds: RdsContext,
  request: { source: TargetSource; recoveryPoint: RecoveryPoint; snapshotId: string; tags: Tags },
  now: Date,
): Promise<RecoveryPointInfo> {
  const { source, recoveryPoint, snapshotId, tags } = request;
  const { id } = rds.source(source);
  switch (recoveryPoint.mode) {
    case 'new-snapshot':
      return {
        ...(await takeSnapshot(rds, source, snapshotId, tags)),
        kind: 'snapshot',
        owned: true,
      };
    case 'latest-automated': {
      const newest = await newestAutomatedSnapshot(rds, source);
      if (!newest) {
        throw new SnapshotFailedError(
          `source ${id} has no available automated snapshot: turn automated backups on (retention of 1 day or more) or drill a new snapshot`,
        );
      }
      return { ...newest, kind: 'snapshot', owned: false };
    }
    case 'snapshot': {
      const found = await describeSnapshot(rds, recoveryPoint.id, source);
      if (!found) {
        throw new SnapshotFailedError(
          `snapshot ${recoveryPoint.id} was not found: check its id, its region, and that it is shared with this account (an ARN for a shared one)`,
        );
      }
      return { ...found, id: recoveryPoint.id, kind: 'snapshot', owned: false };
    }
    case 'point-in-time':
      return pointInTime(rds, source, recoveryPoint.at, now);
  }
}

/** The recovery point as it is now. */
export async function describeRecoveryPoint(
  rds: RdsContext,
  point: RecoveryPointRef,
  source: TargetSource,
  now: Date,
): Promise<RecoveryPointInfo | undefined> {
  if (point.kind === 'point-in-time') {
    return pointInTime(rds, source, point.createdAt ?? 'latest', now);
  }
  const found = await describeSnapshot(rds, point.id, source);
  const owned = found?.tags[DRILL_ID_TAG] === point.id;
  return found && { ...found, id: point.id, kind: 'snapshot', owned };
}

/**
 * Deletes the drill's own snapshot: manual, tagged with its own id as drill id, never the
 * source's, never an automated or shared one (their ids are `rds:...` and ARNs). Gone is done.
 */
export async function deleteSnapshot(
  rds: RdsContext,
  snapshotId: string,
  source: TargetSource,
): Promise<void> {
  const { cluster } = rds.source(source);
  if (snapshotId.startsWith('rds:') || snapshotId.startsWith('arn:')) {
    throw new ForeignResourceError(`refusing to delete ${snapshotId}: not a drill's own snapshot`);
  }
  const found = await describeSnapshot(rds, snapshotId, source);
  if (!rds.guard(found, snapshotId)) return;
  if (found?.phase === 'pending') {
    throw new TeardownPendingError(
      `snapshot ${snapshotId} is ${found.status}; it can be deleted once that ends`,
    );
  }
  const call = {
    action: cluster ? 'DeleteDBClusterSnapshot' : 'DeleteDBSnapshot',
    subject: `snapshot ${snapshotId}`,
    Failed: TeardownPendingError,
  };
  try {
    if (cluster) {
      await rds.client.send(
        new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: snapshotId }),
      );
    } else {
      await rds.client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshotId }));
    }
  } catch (error) {
    if (!isNotFound(error)) throw toDrillError(error, call);
  }
}

/** The source's automated backups, as its "Maintenance & backups" page shows them. */
export async function backupFacts(rds: RdsContext, source: TargetSource): Promise<BackupFacts> {
  const { instance, cluster } = await describeSource(rds, source);
  const of = instance ?? cluster;
  const newest = await newestAutomatedSnapshot(rds, source);
  return {
    retentionDays: of?.BackupRetentionPeriod ?? 0,
    latestRestorableAt: of?.LatestRestorableTime?.toISOString(),
    newestAutomatedSnapshotAt: newest?.createdAt,
  };
}
