import {
  CreateDBInstanceCommand,
  type DBCluster,
  type DBInstance,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type MasterUserSecret,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import {
  copyInstanceClass,
  type RestoreSettings,
  type Target,
  type TargetSource,
} from '#core/config.ts';
import { ForeignResourceError, RestoreFailedError, TeardownPendingError } from '#core/errors.ts';
import type { CopyInfo, RecoveryPointRef, Tags } from '#core/ports.ts';
import { DRILL_ID_TAG } from '#core/steps.ts';
import { isAlreadyExists, isNotFound, type RdsCall, toDrillError } from './errors.ts';
import { describeSource } from './recovery-points.ts';
import {
  clusterCopy,
  copyPhase,
  instanceCopy,
  type RdsContext,
  toTagList,
  toTags,
} from './resources.ts';

const restoreCall = (action: string, subject: string): RdsCall => ({
  action,
  subject,
  Failed: RestoreFailedError,
});

async function findInstance(rds: RdsContext, id: string): Promise<DBInstance | undefined> {
  try {
    const { DBInstances = [] } = await rds.client.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
    );
    return DBInstances[0];
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw toDrillError(error, restoreCall('DescribeDBInstances', `instance ${id}`));
  }
}

async function findCluster(rds: RdsContext, id: string): Promise<DBCluster | undefined> {
  try {
    const { DBClusters = [] } = await rds.client.send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: id }),
    );
    return DBClusters[0];
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw toDrillError(error, restoreCall('DescribeDBClusters', `cluster ${id}`));
  }
}

/** A restored copy, with what the checks connect through (and its managed secret, if any). */
interface Found {
  copy: CopyInfo;
  secret?: MasterUserSecret;
  cluster?: DBCluster;
  instance?: DBInstance;
}

async function find(
  rds: RdsContext,
  copyId: string,
  source: TargetSource,
): Promise<Found | undefined> {
  if (!rds.source(source).cluster) {
    const instance = await findInstance(rds, copyId);
    return (
      instance && { copy: instanceCopy(instance), secret: instance.MasterUserSecret, instance }
    );
  }
  const cluster = await findCluster(rds, copyId);
  if (!cluster) return undefined;
  const instance = await findInstance(rds, copyId);
  return {
    copy: clusterCopy(cluster, instance),
    secret: cluster.MasterUserSecret,
    cluster,
    instance,
  };
}

export async function describeCopy(
  rds: RdsContext,
  copyId: string,
  source: TargetSource,
): Promise<CopyInfo | undefined> {
  return (await find(rds, copyId, source))?.copy;
}

const fromSource = (choice: string, ofSource: string | undefined) =>
  choice === 'source' ? ofSource : choice;

/**
 * Where a copy runs: the target's subnet group, else the deployment's, else the source's; the
 * target's security groups, else the source's, plus those the deployment adds so that its
 * Verify function can reach the copy.
 */
function networkOf(rds: RdsContext, restore: RestoreSettings, of: DBInstance | DBCluster) {
  // A cluster names its subnet group; an instance describes it.
  const subnetGroup =
    typeof of.DBSubnetGroup === 'string' ? of.DBSubnetGroup : of.DBSubnetGroup?.DBSubnetGroupName;
  const securityGroups =
    restore.securityGroupIds ??
    of.VpcSecurityGroups?.flatMap((g) => (g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [])) ??
    [];
  const { copySubnetGroup, copySecurityGroupIds = [] } = rds.deployment;
  return {
    DBSubnetGroupName: restore.subnetGroup ?? copySubnetGroup ?? subnetGroup,
    VpcSecurityGroupIds: [...new Set([...securityGroups, ...copySecurityGroupIds])],
  };
}

/**
 * Restores a recovery point to a new copy: a DB instance from a DB snapshot or a point in time,
 * or an Aurora cluster (its instance comes once the cluster is available). Everything a copy
 * could inherit is forced safe, whatever the source has: private, single-AZ, deletable, no
 * backups of its own (no hours-long baseline backup after an instance restore), and the drill's
 * tags, never the source's. A retried restore that finds its own copy carries on.
 */
export async function restoreCopy(
  rds: RdsContext,
  request: {
    source: TargetSource;
    restore: RestoreSettings;
    recoveryPoint: RecoveryPointRef;
    copyId: string;
    tags: Tags;
  },
): Promise<CopyInfo> {
  const { source, restore, recoveryPoint: point, copyId, tags } = request;
  const { id: sourceId } = rds.source(source);
  rds.notSource(copyId, 'create');
  const { instance, cluster } = await describeSource(rds, source);
  const restoreTime = point.createdAt ? new Date(point.createdAt) : undefined;
  const Tags = toTagList(tags);
  const safe = { DeletionProtection: false, CopyTagsToSnapshot: false, Tags };
  const subject = point.kind === 'snapshot' ? `snapshot ${point.id}` : `source ${sourceId}`;
  let action = '';
  try {
    if (cluster) {
      const clusterSettings = {
        DBClusterIdentifier: copyId,
        ...networkOf(rds, restore, cluster),
        DBClusterParameterGroupName: fromSource(
          restore.parameterGroup,
          cluster.DBClusterParameterGroup,
        ),
        ...safe,
      };
      if (point.kind === 'snapshot') {
        action = 'RestoreDBClusterFromSnapshot';
        await rds.client.send(
          new RestoreDBClusterFromSnapshotCommand({
            ...clusterSettings,
            SnapshotIdentifier: point.id,
            Engine: cluster.Engine,
          }),
        );
      } else {
        action = 'RestoreDBClusterToPointInTime';
        // A full copy: a copy-on-write clone would share the source's pages, not test backups.
        await rds.client.send(
          new RestoreDBClusterToPointInTimeCommand({
            ...clusterSettings,
            SourceDBClusterIdentifier: sourceId,
            RestoreToTime: restoreTime,
            RestoreType: 'full-copy',
          }),
        );
      }
      return clusterCopy(
        { DBClusterIdentifier: copyId, Status: 'creating', TagList: Tags },
        undefined,
      );
    }
    const of = instance as DBInstance;
    const instanceSettings = {
      DBInstanceClass: copyInstanceClass(restore, 'postgres'),
      ...networkOf(rds, restore, of),
      DBParameterGroupName: fromSource(
        restore.parameterGroup,
        of.DBParameterGroups?.[0]?.DBParameterGroupName,
      ),
      OptionGroupName: fromSource(
        restore.optionGroup,
        of.OptionGroupMemberships?.[0]?.OptionGroupName,
      ),
      PubliclyAccessible: false,
      MultiAZ: false,
      BackupRetentionPeriod: 0,
      ...safe,
    };
    let restored: DBInstance | undefined;
    if (point.kind === 'snapshot') {
      action = 'RestoreDBInstanceFromDBSnapshot';
      ({ DBInstance: restored } = await rds.client.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          ...instanceSettings,
          DBInstanceIdentifier: copyId,
          DBSnapshotIdentifier: point.id,
        }),
      ));
    } else {
      action = 'RestoreDBInstanceToPointInTime';
      // A point-in-time restore takes the default groups unless named: the source's are named.
      ({ DBInstance: restored } = await rds.client.send(
        new RestoreDBInstanceToPointInTimeCommand({
          ...instanceSettings,
          SourceDBInstanceIdentifier: sourceId,
          TargetDBInstanceIdentifier: copyId,
          RestoreTime: restoreTime,
        }),
      ));
    }
    return instanceCopy({
      DBInstanceIdentifier: copyId,
      DBInstanceStatus: 'creating',
      ...restored,
      TagList: Tags,
    });
  } catch (error) {
    if (!isAlreadyExists(error)) throw toDrillError(error, restoreCall(action, subject));
    return rds.own(await describeCopy(rds, copyId, source), tags);
  }
}

/** The instance a drill adds to its restored Aurora cluster: there is no endpoint without one. */
async function addClusterInstance(
  rds: RdsContext,
  cluster: DBCluster,
  target: Target,
  tags: Tags,
): Promise<void> {
  const id = cluster.DBClusterIdentifier ?? '';
  rds.notSource(id, 'create');
  const { cluster: source } = await describeSource(rds, target.source);
  const writer = source?.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
  const parameterGroup =
    target.restore.parameterGroup === 'source' && writer
      ? (await findInstance(rds, writer))?.DBParameterGroups?.[0]?.DBParameterGroupName
      : undefined;
  try {
    await rds.client.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBClusterIdentifier: id,
        Engine: cluster.Engine,
        DBInstanceClass: copyInstanceClass(target.restore, target.engine),
        DBParameterGroupName: parameterGroup,
        PubliclyAccessible: false,
        Tags: toTagList(tags),
      }),
    );
  } catch (error) {
    // A cluster busy with something of its own (backing up right after its restore) is asked
    // again on the next poll, within the restore deadline.
    if (error instanceof Error && error.name === 'InvalidDBClusterStateFault') return;
    if (!isAlreadyExists(error)) {
      throw toDrillError(error, restoreCall('CreateDBInstance', `instance of cluster ${id}`));
    }
  }
}

/**
 * Turns on an RDS-managed master secret for a copy: a restored copy keeps the snapshot's
 * password, and RDS makes no secret for it by itself. A copy busy with a change of its own
 * is asked again on the next poll.
 */
async function manageMasterSecret(rds: RdsContext, copy: CopyInfo): Promise<void> {
  const { id, kind } = copy;
  rds.guard(copy, id, 'modify');
  const change = { ManageMasterUserPassword: true, ApplyImmediately: true };
  try {
    if (kind === 'cluster') {
      await rds.client.send(new ModifyDBClusterCommand({ DBClusterIdentifier: id, ...change }));
    } else {
      await rds.client.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, ...change }));
    }
  } catch (error) {
    if (error instanceof Error && /^Invalid\w*StateFault$/.test(error.name)) return;
    throw toDrillError(
      error,
      restoreCall(
        kind === 'cluster' ? 'ModifyDBCluster' : 'ModifyDBInstance',
        `restored ${kind} ${id}`,
      ),
    );
  }
}

/**
 * One poll of a copy on its way to ready. Once the restore is available, the copy's next step
 * starts here: an Aurora cluster gets its instance, then (with `credentials: "managed"`) the
 * copy gets an RDS-managed master secret, and it is ready once that secret is active. Nothing
 * is created or changed on a copy that is not tagged as this drill's.
 */
export async function advanceCopy(
  rds: RdsContext,
  request: { copyId: string; target: Target; tags: Tags },
): Promise<CopyInfo | undefined> {
  const { copyId, target, tags } = request;
  const found = await find(rds, copyId, target.source);
  if (!found) return undefined;
  const { copy, cluster, instance, secret } = found;
  if (copy.tags[DRILL_ID_TAG] !== tags[DRILL_ID_TAG]) {
    throw new ForeignResourceError(
      `${copy.kind} ${copyId} is not tagged ${DRILL_ID_TAG}=${tags[DRILL_ID_TAG]}: refusing to use it`,
    );
  }
  if (cluster && !instance && copyPhase(cluster.Status ?? '') === 'available') {
    await addClusterInstance(rds, cluster, target, tags);
    return { ...copy, status: 'cluster available, creating its instance' };
  }
  if (copy.phase !== 'available' || target.restore.credentials !== 'managed') return copy;
  switch (secret?.SecretStatus) {
    case 'active':
      return copy;
    case undefined: {
      // Asked only of a copy at rest: one still backing up or configuring would refuse it.
      const status = cluster ? cluster.Status : instance?.DBInstanceStatus;
      if (status !== 'available') return { ...copy, phase: 'pending' };
      await manageMasterSecret(rds, copy);
      return { ...copy, phase: 'pending', status: 'turning on its RDS-managed master secret' };
    }
    case 'impaired':
      return { ...copy, phase: 'failed', status: 'RDS-managed master secret impaired' };
    default:
      return {
        ...copy,
        phase: 'pending',
        status: `RDS-managed master secret ${secret?.SecretStatus}`,
      };
  }
}

/** The copy's RDS-managed master secret: its ARN once active, and its status. */
export async function managedSecretOf(
  rds: RdsContext,
  copyId: string,
  source: TargetSource,
): Promise<{ arn?: string; status?: string }> {
  const { secret } = (await find(rds, copyId, source)) ?? {};
  return {
    arn: secret?.SecretStatus === 'active' ? secret.SecretArn : undefined,
    status: secret?.SecretStatus,
  };
}

/** Deletes a DB instance of the drill's: no final snapshot, gone already is done. */
async function deleteInstance(
  rds: RdsContext,
  instance: DBInstance,
  aurora: boolean,
): Promise<void> {
  const id = instance.DBInstanceIdentifier ?? '';
  if (!rds.guard({ tags: toTags(instance.TagList) }, id)) return;
  const copy = instanceCopy(instance);
  if (copy.phase === 'deleting') return;
  if (copy.phase === 'pending') {
    throw new TeardownPendingError(
      `instance ${id} is ${copy.status}; it can be deleted once that ends`,
    );
  }
  try {
    await rds.client.send(
      new DeleteDBInstanceCommand(
        // An Aurora instance has no snapshots of its own: the cluster does.
        aurora
          ? { DBInstanceIdentifier: id }
          : { DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
      ),
    );
  } catch (error) {
    if (!isNotFound(error)) {
      throw toDrillError(error, {
        action: 'DeleteDBInstance',
        subject: `instance ${id}`,
        Failed: TeardownPendingError,
      });
    }
  }
}

/**
 * Deletes a copy, all of it: an instance; or an Aurora cluster's instance, then the cluster once
 * the instance is gone (RDS refuses it before: TeardownPendingError, retried). Only what carries
 * this copy's own drill tag, never the source; gone already is done.
 */
export async function deleteCopy(
  rds: RdsContext,
  copyId: string,
  source: TargetSource,
): Promise<void> {
  rds.source(source);
  rds.notSource(copyId, 'delete');
  const found = await find(rds, copyId, source);
  if (!found) return;
  const { cluster, instance } = found;
  if (!cluster) {
    if (instance) await deleteInstance(rds, instance, false);
    return;
  }
  if (!rds.guard({ tags: toTags(cluster.TagList) }, copyId)) return;
  if (instance) {
    await deleteInstance(rds, instance, true);
    throw new TeardownPendingError(`cluster ${copyId} can be deleted once its instance is gone`);
  }
  const phase = copyPhase(cluster.Status ?? '');
  if (phase === 'deleting') return;
  if (phase === 'pending') {
    throw new TeardownPendingError(
      `cluster ${copyId} is ${cluster.Status}; it can be deleted once that ends`,
    );
  }
  try {
    await rds.client.send(
      new DeleteDBClusterCommand({
        DBClusterIdentifier: copyId,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      }),
    );
  } catch (error) {
    if (!isNotFound(error)) {
      throw toDrillError(error, {
        action: 'DeleteDBCluster',
        subject: `cluster ${copyId}`,
        Failed: TeardownPendingError,
      });
    }
  }
}
