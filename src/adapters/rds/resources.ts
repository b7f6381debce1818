import {
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  type DBSnapshot,
  RDSClient,
  type RDSClientConfig,
  type Tag,
} from '@aws-sdk/client-rds';
import type { TargetSource } from '#core/config.ts';
import { ConfigError, ForeignResourceError } from '#core/errors.ts';
import type { CopyInfo, Phase, SnapshotInfo, Tags } from '#core/ports.ts';
import { DRILL_ID_TAG } from '#core/steps.ts';
import { type RdsCall, toDrillError } from './errors.ts';

/**
 * An RDS client with the SDK's standard settings (credential chain, region, `AWS_ENDPOINT_URL`
 * and `AWS_ENDPOINT_URL_RDS`) and adaptive retries: throttling and transient faults are retried
 * by the SDK, slowing down under `Rate exceeded`, and never reach a drill as a failure.
 */
export function rdsClient(config: RDSClientConfig = {}): RDSClient {
  return new RDSClient({ maxAttempts: 8, retryMode: 'adaptive', ...config });
}

/**
 * DB instance and DB cluster statuses, as the core's phases. A copy that is `backing-up`,
 * `storage-optimization` or configuring something is reachable. The failed ones never become
 * available by themselves (or need a human), so a drill fails fast on them; anything not listed
 * (`creating`, `modifying`, `resetting-master-credentials`, ...) is taken as still on its way,
 * and the drill's deadline bounds it.
 */
const COPY_PHASES: Record<string, Phase> = {
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

/** DB snapshot and DB cluster snapshot statuses, as the core's phases. */
const SNAPSHOT_PHASES: Record<string, Phase> = {
  available: 'available',
  failed: 'failed',
  error: 'failed',
  deleting: 'deleting',
  deleted: 'deleting',
};

export const copyPhase = (status: string): Phase => COPY_PHASES[status] ?? 'pending';
const snapshotPhase = (status: string): Phase => SNAPSHOT_PHASES[status] ?? 'pending';

export const toTags = (tagList: Tag[] | undefined): Tags =>
  Object.fromEntries((tagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

export const toTagList = (tags: Tags): Tag[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

const GIB = 1024 ** 3;

export function snapshotInfo(snapshot: DBSnapshot | DBClusterSnapshot): SnapshotInfo {
  const status = snapshot.Status ?? 'unknown';
  const id =
    'DBClusterSnapshotIdentifier' in snapshot
      ? snapshot.DBClusterSnapshotIdentifier
      : (snapshot as DBSnapshot).DBSnapshotIdentifier;
  return {
    id: id ?? '',
    phase: snapshotPhase(status),
    status,
    createdAt: snapshot.SnapshotCreateTime?.toISOString(),
    sizeBytes:
      snapshot.AllocatedStorage === undefined ? undefined : snapshot.AllocatedStorage * GIB,
    engineVersion: snapshot.EngineVersion,
    progress: snapshot.PercentProgress,
    tags: toTags(snapshot.TagList),
  };
}

export function instanceCopy(instance: DBInstance): CopyInfo {
  const status = instance.DBInstanceStatus ?? 'unknown';
  const { Address, Port } = instance.Endpoint ?? {};
  return {
    id: instance.DBInstanceIdentifier ?? '',
    kind: 'instance',
    phase: copyPhase(status),
    status,
    endpoint: Address && Port ? { host: Address, port: Port } : undefined,
    instanceClass: instance.DBInstanceClass,
    engineVersion: instance.EngineVersion,
    createdAt: instance.InstanceCreateTime?.toISOString(),
    tags: toTags(instance.TagList),
  };
}

/**
 * An Aurora copy: the cluster, and the instance the drill adds to it. It is ready when both are;
 * a cluster without its instance (not made yet, or being deleted) has nothing to connect to.
 */
export function clusterCopy(cluster: DBCluster, instance: DBInstance | undefined): CopyInfo {
  const clusterStatus = cluster.Status ?? 'unknown';
  const base = {
    id: cluster.DBClusterIdentifier ?? '',
    kind: 'cluster' as const,
    engineVersion: cluster.EngineVersion,
    tags: toTags(cluster.TagList),
  };
  const clusterPhase = copyPhase(clusterStatus);
  if (clusterPhase !== 'available') {
    return { ...base, phase: clusterPhase, status: `cluster ${clusterStatus}` };
  }
  if (!instance) {
    return { ...base, phase: 'pending', status: 'cluster available, its instance not made yet' };
  }
  const member = instanceCopy(instance);
  return {
    ...member,
    ...base,
    // An instance on its way out leaves the cluster unusable: not ready, and not pending either.
    phase: member.phase === 'deleting' ? 'failed' : member.phase,
    status: `cluster ${clusterStatus}, instance ${member.status}`,
  };
}

/** The source's identifier, and whether it is an Aurora cluster. */
export function sourceOf(source: TargetSource): { id: string; cluster: boolean } {
  if ('instance' in source) return { id: source.instance, cluster: false };
  if ('cluster' in source) return { id: source.cluster, cluster: true };
  throw new ConfigError(
    `the Amazon RDS fleet drills DB instances and Aurora clusters, not ${JSON.stringify(source)}`,
  );
}

/** What a deployment adds to every copy it restores (a drill run from a machine adds nothing). */
export interface DeploymentSettings {
  /** The DB subnet group of copies whose target names none (instead of the source's). */
  copySubnetGroup?: string;
  /** Security groups added to every copy: the ones that let the Verify function in. */
  copySecurityGroupIds?: string[];
}

/**
 * What every part of the RDS fleet shares: the client, the sources seen so far (never created
 * over, never deleted) and the error mapping of each call.
 */
export class RdsContext {
  readonly client: RDSClient;
  readonly deployment: DeploymentSettings;
  private readonly sources = new Set<string>();

  constructor(client: RDSClient, deployment: DeploymentSettings = {}) {
    this.client = client;
    this.deployment = deployment;
  }

  /** Sends a command, mapping RDS's refusals to the core's errors. */
  async send<T>(call: RdsCall, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toDrillError(error, call);
    }
  }

  /** Remembers a source, and returns its identifier. */
  source(source: TargetSource): { id: string; cluster: boolean } {
    const found = sourceOf(source);
    this.sources.add(found.id);
    return found;
  }

  notSource(id: string, verb: string): void {
    if (this.sources.has(id)) {
      throw new ForeignResourceError(`refusing to ${verb} ${id}: it is the drill's source`);
    }
  }

  /** A resource that exists under a drill's name: carried on if it is this drill's, else refused. */
  own<R extends { id: string; tags: Tags }>(found: R | undefined, tags: Tags): R {
    const drillId = tags[DRILL_ID_TAG];
    if (!found || found.tags[DRILL_ID_TAG] !== drillId) {
      throw new ForeignResourceError(
        `${found?.id ?? 'a resource'} exists already and is not tagged ${DRILL_ID_TAG}=${drillId}: refusing to use it`,
      );
    }
    return found;
  }

  /**
   * Proves, right before a delete or a modify, that the resource is a drill's own (tagged with
   * its own identifier as drill id) and not the source. `false`: it is gone already.
   */
  guard(found: { tags: Tags } | undefined, id: string, verb = 'delete'): boolean {
    this.notSource(id, verb);
    if (!found) return false;
    if (found.tags[DRILL_ID_TAG] !== id) {
      throw new ForeignResourceError(
        `refusing to ${verb} ${id}: it is not tagged ${DRILL_ID_TAG}=${id}`,
      );
    }
    return true;
  }
}
