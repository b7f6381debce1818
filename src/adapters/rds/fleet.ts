import {
  CreateDBSnapshotCommand,
  type DBInstance,
  type DBSnapshot,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  type RDSClientConfig,
  RestoreDBInstanceFromDBSnapshotCommand,
  type Tag,
} from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { BackupFacts } from '#core/backup-health.ts';
import type { RestoreSettings, Target, TargetSource } from '#core/config.ts';
import {
  ConfigError,
  ForeignResourceError,
  RestoreFailedError,
  SnapshotFailedError,
  TeardownPendingError,
} from '#core/errors.ts';
import type {
  ConnectionInfo,
  DatabaseFleet,
  InstanceInfo,
  Phase,
  SnapshotInfo,
  Tags,
} from '#core/ports.ts';
import { DRILL_ID_TAG } from '#core/steps.ts';
import { CopyAccessError, readCredentials, secretsClient, tlsFor } from './access.ts';
import { isAlreadyExists, isNotFound, type RdsCall, toDrillError } from './errors.ts';

/**
 * An RDS client with the SDK's standard settings (credential chain, region, `AWS_ENDPOINT_URL`
 * and `AWS_ENDPOINT_URL_RDS`) and adaptive retries: throttling and transient faults are retried
 * by the SDK, slowing down under `Rate exceeded`, and never reach a drill as a failure.
 */
export function rdsClient(config: RDSClientConfig = {}): RDSClient {
  return new RDSClient({ maxAttempts: 8, retryMode: 'adaptive', ...config });
}

/**
 * DB instance statuses, as the core's phases. A copy that is `backing-up`, `storage-optimization`
 * or configuring something is reachable. The failed ones never become available by themselves
 * (or need a human), so a drill fails fast on them; anything not listed is taken as still on its
 * way, and the drill's deadline bounds it.
 */
const INSTANCE_PHASES: Record<string, Phase> = {
  available: 'available',
  'backing-up': 'available',
  'storage-optimization': 'available',
  'configuring-enhanced-monitoring': 'available',
  'configuring-iam-database-auth': 'available',
  'configuring-log-exports': 'available',
  failed: 'failed',
  'incompatible-restore': 'failed',
  'restore-error': 'failed',
  'inaccessible-encryption-credentials': 'failed',
  'inaccessible-encryption-credentials-recoverable': 'failed',
  'insufficient-capacity': 'failed',
  'incompatible-parameters': 'failed',
  'incompatible-network': 'failed',
  'incompatible-option-group': 'failed',
  'incompatible-credentials': 'failed',
  'storage-full': 'failed',
  stopped: 'failed',
  stopping: 'failed',
  deleting: 'deleting',
  deleted: 'deleting',
};

/** DB snapshot statuses, as the core's phases. */
const SNAPSHOT_PHASES: Record<string, Phase> = {
  available: 'available',
  failed: 'failed',
  error: 'failed',
  deleting: 'deleting',
  deleted: 'deleting',
};

const phaseOf = (phases: Record<string, Phase>, status: string): Phase =>
  phases[status] ?? 'pending';

const toTags = (tagList: Tag[] | undefined): Tags =>
  Object.fromEntries((tagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

const toTagList = (tags: Tags): Tag[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

const GIB = 1024 ** 3;

function snapshotInfo(snapshot: DBSnapshot): SnapshotInfo {
  const status = snapshot.Status ?? 'unknown';
  return {
    id: snapshot.DBSnapshotIdentifier ?? '',
    phase: phaseOf(SNAPSHOT_PHASES, status),
    status,
    createdAt: snapshot.SnapshotCreateTime?.toISOString(),
    sizeBytes:
      snapshot.AllocatedStorage === undefined ? undefined : snapshot.AllocatedStorage * GIB,
    tags: toTags(snapshot.TagList),
  };
}

function instanceInfo(instance: DBInstance): InstanceInfo {
  const status = instance.DBInstanceStatus ?? 'unknown';
  const { Address, Port } = instance.Endpoint ?? {};
  return {
    id: instance.DBInstanceIdentifier ?? '',
    phase: phaseOf(INSTANCE_PHASES, status),
    status,
    endpoint: Address && Port ? { host: Address, port: Port } : undefined,
    tags: toTags(instance.TagList),
  };
}

function instanceSource(source: TargetSource): string {
  if ('instance' in source) return source.instance;
  throw new ConfigError(
    `the Amazon RDS instance fleet drills DB instances, not ${JSON.stringify(source)}`,
  );
}

/**
 * Amazon RDS DB instances as the drill's fleet: a manual snapshot of the source, restored to a
 * new instance. Every create carries the drill's tags, and a retried create that finds its own
 * resource (same id, same drill tag) carries on. Deletes and every restore are guarded here as
 * well as in the core and in IAM: nothing without this drill's tag is ever deleted, and no
 * identifier equal to the source's is ever created or deleted.
 */
export class RdsFleet implements DatabaseFleet {
  private readonly client: RDSClient;
  /** Built on first use: only Verify reads secrets. */
  private readonly secrets: () => SecretsManagerClient;
  /** Identifiers of sources seen by this fleet: never created over, never deleted. */
  private readonly sources = new Set<string>();

  constructor(
    client: RDSClient = rdsClient(),
    secrets: SecretsManagerClient | (() => SecretsManagerClient) = secretsClient,
  ) {
    this.client = client;
    let made: SecretsManagerClient | undefined;
    this.secrets = typeof secrets === 'function' ? () => (made ??= secrets()) : () => secrets;
  }

  /** Sends a command, mapping RDS's refusals to the core's errors. */
  private async send<T>(call: RdsCall, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toDrillError(error, call);
    }
  }

  private notSource(id: string, verb: string): void {
    if (this.sources.has(id)) {
      throw new ForeignResourceError(`refusing to ${verb} ${id}: it is the drill's source`);
    }
  }

  /** A resource that exists under a drill's name: carried on if it is this drill's, else refused. */
  private own<R extends { id: string; tags: Tags }>(found: R | undefined, tags: Tags): R {
    const drillId = tags[DRILL_ID_TAG];
    if (!found || found.tags[DRILL_ID_TAG] !== drillId) {
      throw new ForeignResourceError(
        `${found?.id ?? 'a resource'} exists already and is not tagged ${DRILL_ID_TAG}=${drillId}: refusing to use it`,
      );
    }
    return found;
  }

  async createSnapshot(request: {
    source: TargetSource;
    snapshotId: string;
    tags: Tags;
  }): Promise<SnapshotInfo> {
    const { snapshotId, tags } = request;
    const sourceId = instanceSource(request.source);
    this.sources.add(sourceId);
    this.notSource(snapshotId, 'create');
    const call = {
      action: 'CreateDBSnapshot',
      subject: `source ${sourceId}`,
      Failed: SnapshotFailedError,
    };
    try {
      const { DBSnapshot } = await this.client.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: sourceId,
          DBSnapshotIdentifier: snapshotId,
          Tags: toTagList(tags),
        }),
      );
      return snapshotInfo({ ...DBSnapshot, TagList: DBSnapshot?.TagList ?? toTagList(tags) });
    } catch (error) {
      if (!isAlreadyExists(error)) throw toDrillError(error, call);
      return this.own(await this.describeSnapshot(snapshotId), tags);
    }
  }

  async describeSnapshot(snapshotId: string): Promise<SnapshotInfo | undefined> {
    const call = {
      action: 'DescribeDBSnapshots',
      subject: `snapshot ${snapshotId}`,
      Failed: SnapshotFailedError,
    };
    try {
      const { DBSnapshots = [] } = await this.client.send(
        new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }),
      );
      const [found] = DBSnapshots;
      return found ? snapshotInfo(found) : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toDrillError(error, call);
    }
  }

  /** The source's own instance: where a restore takes the settings it copies. */
  private async describeSource(sourceId: string): Promise<DBInstance> {
    const call = {
      action: 'DescribeDBInstances',
      subject: `source ${sourceId}`,
      Failed: RestoreFailedError,
    };
    const { DBInstances = [] } = await this.send(call, () =>
      this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: sourceId })),
    );
    const [found] = DBInstances;
    if (!found) throw new RestoreFailedError(`source ${sourceId} was not found`);
    return found;
  }

  async restoreInstance(request: {
    source: TargetSource;
    restore: RestoreSettings;
    snapshotId: string;
    instanceId: string;
    tags: Tags;
  }): Promise<InstanceInfo> {
    const { restore, snapshotId, instanceId, tags } = request;
    const sourceId = instanceSource(request.source);
    this.sources.add(sourceId);
    this.notSource(instanceId, 'create');
    const source = await this.describeSource(sourceId);
    const fromSource = (choice: string, ofSource: string | undefined) =>
      choice === 'source' ? ofSource : choice;
    const call = {
      action: 'RestoreDBInstanceFromDBSnapshot',
      subject: `snapshot ${snapshotId}`,
      Failed: RestoreFailedError,
    };
    try {
      const { DBInstance } = await this.client.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: instanceId,
          DBSnapshotIdentifier: snapshotId,
          DBInstanceClass: restore.instanceClass,
          DBSubnetGroupName: restore.subnetGroup ?? source.DBSubnetGroup?.DBSubnetGroupName,
          VpcSecurityGroupIds:
            restore.securityGroupIds ??
            source.VpcSecurityGroups?.flatMap((g) =>
              g.VpcSecurityGroupId ? [g.VpcSecurityGroupId] : [],
            ),
          DBParameterGroupName: fromSource(
            restore.parameterGroup,
            source.DBParameterGroups?.[0]?.DBParameterGroupName,
          ),
          OptionGroupName: fromSource(
            restore.optionGroup,
            source.OptionGroupMemberships?.[0]?.OptionGroupName,
          ),
          // Forced safe, whatever the source has: a drill copy is private, single-AZ, deletable,
          // takes no backups of its own (no hours-long baseline backup after the restore) and
          // carries the drill's tags, never the source's.
          PubliclyAccessible: false,
          MultiAZ: false,
          DeletionProtection: false,
          BackupRetentionPeriod: 0,
          CopyTagsToSnapshot: false,
          Tags: toTagList(tags),
        }),
      );
      return instanceInfo({ ...DBInstance, TagList: DBInstance?.TagList ?? toTagList(tags) });
    } catch (error) {
      if (!isAlreadyExists(error)) throw toDrillError(error, call);
      return this.own(await this.describeInstance(instanceId), tags);
    }
  }

  async describeInstance(instanceId: string): Promise<InstanceInfo | undefined> {
    const call = {
      action: 'DescribeDBInstances',
      subject: `instance ${instanceId}`,
      Failed: RestoreFailedError,
    };
    try {
      const { DBInstances = [] } = await this.client.send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }),
      );
      const [found] = DBInstances;
      return found ? instanceInfo(found) : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toDrillError(error, call);
    }
  }

  /** Proves, right before a delete, that the resource is a drill's own and not the source. */
  private guardDelete(found: { id: string; tags: Tags } | undefined, id: string): boolean {
    this.notSource(id, 'delete');
    if (!found) return false;
    if (!found.tags[DRILL_ID_TAG] || found.tags[DRILL_ID_TAG] !== id) {
      throw new ForeignResourceError(
        `refusing to delete ${id}: it is not tagged ${DRILL_ID_TAG}=${id}`,
      );
    }
    return true;
  }

  async deleteInstance(instanceId: string): Promise<void> {
    if (!this.guardDelete(await this.describeInstance(instanceId), instanceId)) return;
    const call = {
      action: 'DeleteDBInstance',
      subject: `instance ${instanceId}`,
      Failed: TeardownPendingError,
    };
    try {
      await this.client.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: instanceId,
          // A throwaway copy: no final snapshot (a failed copy can only go without one anyway).
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      );
    } catch (error) {
      if (!isNotFound(error)) throw toDrillError(error, call);
    }
  }

  async deleteSnapshot(snapshotId: string): Promise<void> {
    const found = await this.describeSnapshot(snapshotId);
    if (!this.guardDelete(found, snapshotId)) return;
    const call = {
      action: 'DeleteDBSnapshot',
      subject: `snapshot ${snapshotId}`,
      Failed: TeardownPendingError,
    };
    try {
      await this.client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: snapshotId }));
    } catch (error) {
      if (!isNotFound(error)) throw toDrillError(error, call);
    }
  }

  /** The source's automated backups, as its "Maintenance & backups" page shows them. */
  async backupFacts(source: TargetSource): Promise<BackupFacts> {
    const sourceId = instanceSource(source);
    const instance = await this.describeSource(sourceId);
    const call = {
      action: 'DescribeDBSnapshots',
      subject: `automated snapshots of ${sourceId}`,
      Failed: RestoreFailedError,
    };
    const { DBSnapshots = [] } = await this.send(call, () =>
      this.client.send(
        new DescribeDBSnapshotsCommand({
          DBInstanceIdentifier: sourceId,
          SnapshotType: 'automated',
        }),
      ),
    );
    const newest = DBSnapshots.filter((s) => s.Status === 'available' && s.SnapshotCreateTime)
      .map((s) => s.SnapshotCreateTime as Date)
      .sort((a, b) => b.getTime() - a.getTime())[0];
    return {
      retentionDays: instance.BackupRetentionPeriod ?? 0,
      latestRestorableAt: instance.LatestRestorableTime?.toISOString(),
      newestAutomatedSnapshotAt: newest?.toISOString(),
    };
  }

  /**
   * How Verify reaches the copy: its endpoint, the credentials read from Secrets Manager at this
   * moment (a given secret, or the copy's RDS-managed master secret), and TLS as configured.
   */
  async connectionFor(instance: InstanceInfo, target: Target): Promise<ConnectionInfo> {
    if (!instance.endpoint) {
      throw new RestoreFailedError(`restored instance ${instance.id} has no endpoint yet`);
    }
    const secretArn = await this.secretOf(instance.id, target.restore.credentials);
    const credentials = await readCredentials(this.secrets(), secretArn);
    const ssl = await tlsFor(target.restore.tls);
    return { ...instance.endpoint, database: target.database, ...credentials, ssl };
  }

  /** The secret that holds the copy's credentials. */
  private async secretOf(
    instanceId: string,
    credentials: RestoreSettings['credentials'],
  ): Promise<string> {
    if (credentials !== 'managed') return credentials.secretArn;
    const { DBInstances = [] } = await this.send(
      {
        action: 'DescribeDBInstances',
        subject: `instance ${instanceId}`,
        Failed: RestoreFailedError,
      },
      () => this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId })),
    );
    const secret = DBInstances[0]?.MasterUserSecret;
    if (secret?.SecretArn && secret.SecretStatus === 'active') return secret.SecretArn;
    // A restored copy keeps the snapshot's password; RDS makes no managed secret for it until the
    // drill turns one on, which this build does not do yet.
    throw new CopyAccessError(
      `restored instance ${instanceId} has no active RDS-managed master secret (${secret?.SecretStatus ?? 'none'}): this build cannot bootstrap managed credentials yet; set restore.credentials to {"secretArn": ...}, a secret whose username and password are valid in the snapshot's data`,
    );
  }
}
