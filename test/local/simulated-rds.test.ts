import {
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  SHARED_CLUSTER_SNAPSHOT,
  SHARED_SNAPSHOT,
  SimulatedClock,
  SimulatedRds,
  SOURCE_INSTANCE,
} from '../fixtures/simulated-rds.ts';

/** The simulated account, its client, and a way to let time pass. */
function account() {
  const clock = new SimulatedClock();
  const rds = new SimulatedRds(clock);
  return { clock, rds, client: rds.client() };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (e: Error) => e.name,
  );

describe('the simulated RDS account the workflow tests run on', () => {
  it('refuses what RDS refuses to a source and to the backups, and records each attempt', async () => {
    const { rds, client } = account();
    const [automated] = rds.backups.instance.automated;

    expect(
      await refusal(
        client.send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: SOURCE_INSTANCE,
            SkipFinalSnapshot: true,
          }),
        ),
      ),
    ).toBe('InvalidParameterCombination');
    expect(
      await refusal(client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: automated }))),
    ).toBe('InvalidDBSnapshotStateFault');
    expect(
      await refusal(
        client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: SHARED_SNAPSHOT })),
      ),
    ).toBe('InvalidParameterValue');
    expect(rds.touching().map((m) => `${m.action} ${m.outcome}`)).toEqual([
      'DeleteDBInstance InvalidParameterCombination',
      'DeleteDBSnapshot InvalidDBSnapshotStateFault',
      'DeleteDBSnapshot InvalidParameterValue',
    ]);
  });

  it('finds an automated snapshot by id only with its type, a shared one only with IncludeShared', async () => {
    const { rds, client } = account();
    const [automated] = rds.backups.instance.automated;
    const byId = (input: object) =>
      refusal(
        client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: automated, ...input })),
      );

    expect(await byId({})).toBe('DBSnapshotNotFoundFault');
    expect(await byId({ SnapshotType: 'automated' })).toBe('accepted');
    expect(
      await refusal(
        client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: SHARED_SNAPSHOT })),
      ),
    ).toBe('DBSnapshotNotFoundFault');
    const { DBSnapshots } = await client.send(
      new DescribeDBSnapshotsCommand({
        DBSnapshotIdentifier: SHARED_SNAPSHOT,
        IncludeShared: true,
      }),
    );
    expect(DBSnapshots?.[0]).toMatchObject({ SnapshotType: 'shared', EngineVersion: '16.3' });
  });

  it('lets an instance join a restored cluster once it is available, and the cluster go once it is empty', async () => {
    const { rds, client, clock } = account();
    const id = 'drill-orders-20261123t0300-abcdef';
    await client.send(
      new RestoreDBClusterFromSnapshotCommand({
        DBClusterIdentifier: id,
        SnapshotIdentifier: SHARED_CLUSTER_SNAPSHOT,
        Engine: 'aurora-postgresql',
      }),
    );
    const addInstance = () =>
      refusal(
        client.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: id,
            DBClusterIdentifier: id,
            Engine: 'aurora-postgresql',
            DBInstanceClass: 'db.t4g.medium',
          }),
        ),
      );
    const deleteCluster = () =>
      refusal(
        client.send(
          new DeleteDBClusterCommand({ DBClusterIdentifier: id, SkipFinalSnapshot: true }),
        ),
      );

    expect(await addInstance()).toBe('InvalidDBClusterStateFault');
    clock.advance(8);
    expect(await addInstance()).toBe('accepted');
    clock.advance(6);
    expect(rds.leftovers()).toEqual([`instance ${id}`, `cluster ${id}`]);
    expect(await deleteCluster()).toBe('InvalidDBClusterStateFault');
    await client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id }));
    expect(await deleteCluster()).toBe('accepted');
    expect(rds.leftovers()).toEqual([]);
    clock.advance(2);
    expect(
      await refusal(client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))),
    ).toBe('DBInstanceNotFoundFault');
  });

  it('turns on a managed master secret: modifying, the secret creating, then active and readable', async () => {
    const { rds, client, clock } = account();
    const id = 'drill-orders-20261123t0300-abcdef';
    await client.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: id,
        DBSnapshotIdentifier: SHARED_SNAPSHOT,
      }),
    );
    clock.advance(8);
    await client.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, ManageMasterUserPassword: true }),
    );
    const describe = async () =>
      (await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })))
        .DBInstances?.[0];
    const read = (SecretId: string) =>
      rds.secretsClient().send(new GetSecretValueCommand({ SecretId }));

    const modifying = await describe();
    expect(modifying).toMatchObject({
      DBInstanceStatus: 'modifying',
      MasterUserSecret: { SecretStatus: 'creating' },
    });
    const arn = modifying?.MasterUserSecret?.SecretArn ?? '';
    expect(arn).toMatch(/^arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-/);
    await expect(read(arn)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    clock.advance(2);
    expect(await describe()).toMatchObject({
      DBInstanceStatus: 'available',
      MasterUserSecret: { SecretStatus: 'active' },
    });
    const { SecretString } = await read(arn);
    expect(JSON.parse(SecretString ?? '')).toEqual({
      username: 'orders_admin',
      password: rds.managedSecretOf(id).password,
    });
  });

  it('throttles: a burst the client retries through, and one longer than its retries', async () => {
    const { rds, client } = account();
    const describe = () =>
      client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: SOURCE_INSTANCE }));
    const started = Date.now();

    rds.throttleNextCalls(5);
    expect((await describe()).$metadata.attempts).toBe(6);
    rds.throttleNextCalls(8);
    await expect(describe()).rejects.toMatchObject({
      name: 'Throttling',
      $retryable: { throttling: true },
      $metadata: { httpStatusCode: 400, attempts: 8 },
    });
    expect(rds.throttled).toBe(13);
    // 1 ms between attempts, not the SDK's seconds of throttling backoff.
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
