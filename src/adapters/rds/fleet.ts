import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { BackupFacts } from '#core/backup-health.ts';
import type { RecoveryPoint, RestoreSettings, Target, TargetSource } from '#core/config.ts';
import {
  type Clock,
  type ConnectionInfo,
  type CopyInfo,
  type DatabaseFleet,
  type RecoveryPointInfo,
  type RecoveryPointRef,
  type SnapshotInfo,
  systemClock,
  type Tags,
} from '#core/ports.ts';
import { connectionFor, secretsClient, sourceConnection } from './access.ts';
import { advanceCopy, deleteCopy, describeCopy, restoreCopy } from './copies.ts';
import {
  backupFacts,
  deleteSnapshot,
  describeRecoveryPoint,
  describeSnapshot,
  prepareRecoveryPoint,
} from './recovery-points.ts';
import { type DeploymentSettings, RdsContext, rdsClient } from './resources.ts';

export { rdsClient };

/**
 * Amazon RDS DB instances and Aurora clusters as the drill's fleet. Every create carries the
 * drill's tags, and a retried create that finds its own resource (same id, same drill tag)
 * carries on. Deletes and modifies are guarded here as well as in the core and in IAM: nothing
 * without this drill's tag is ever changed or deleted, no identifier equal to the source's is
 * ever created or deleted, and a backup the drill picked rather than took is never deleted.
 */
export class RdsFleet implements DatabaseFleet {
  private readonly rds: RdsContext;
  private readonly clock: Clock;
  /** Built on first use: only Verify and RecordBaseline read secrets. */
  private readonly secrets: () => SecretsManagerClient;

  constructor(
    client: RDSClient = rdsClient(),
    secrets: SecretsManagerClient | (() => SecretsManagerClient) = secretsClient,
    clock: Clock = systemClock,
    deployment: DeploymentSettings = {},
  ) {
    this.rds = new RdsContext(client, deployment);
    this.clock = clock;
    let made: SecretsManagerClient | undefined;
    this.secrets = typeof secrets === 'function' ? () => (made ??= secrets()) : () => secrets;
  }

  prepareRecoveryPoint(request: {
    source: TargetSource;
    recoveryPoint: RecoveryPoint;
    snapshotId: string;
    tags: Tags;
  }): Promise<RecoveryPointInfo> {
    return prepareRecoveryPoint(this.rds, request, this.clock.now());
  }

  describeRecoveryPoint(
    point: RecoveryPointRef,
    source: TargetSource,
  ): Promise<RecoveryPointInfo | undefined> {
    return describeRecoveryPoint(this.rds, point, source, this.clock.now());
  }

  restoreCopy(request: {
    source: TargetSource;
    restore: RestoreSettings;
    recoveryPoint: RecoveryPointRef;
    copyId: string;
    tags: Tags;
  }): Promise<CopyInfo> {
    return restoreCopy(this.rds, request);
  }

  advanceCopy(request: { copyId: string; target: Target; tags: Tags }) {
    return advanceCopy(this.rds, request);
  }

  describeCopy(copyId: string, source: TargetSource): Promise<CopyInfo | undefined> {
    return describeCopy(this.rds, copyId, source);
  }

  deleteCopy(copyId: string, source: TargetSource): Promise<void> {
    return deleteCopy(this.rds, copyId, source);
  }

  describeSnapshot(snapshotId: string, source: TargetSource): Promise<SnapshotInfo | undefined> {
    return describeSnapshot(this.rds, snapshotId, source);
  }

  deleteSnapshot(snapshotId: string, source: TargetSource): Promise<void> {
    return deleteSnapshot(this.rds, snapshotId, source);
  }

  backupFacts(source: TargetSource): Promise<BackupFacts> {
    return backupFacts(this.rds, source);
  }

  connectionFor(copy: CopyInfo, target: Target): Promise<ConnectionInfo> {
    return connectionFor(this.rds, this.secrets(), copy, target);
  }

  sourceConnection(target: Target): Promise<ConnectionInfo> {
    return sourceConnection(this.rds, this.secrets(), target);
  }
}
