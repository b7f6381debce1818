import 'aws-sdk-client-mock-vitest/extend';
import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type TargetInput, targetSchema } from '#core/config.ts';
import { checkSources } from '#local/run-rds.ts';

const rds = mockClient(RDSClient);
const client = () => new RDSClient({ region: 'eu-west-1' });
const targetOf = (input: Partial<TargetInput>) =>
  targetSchema.parse({ name: 'shop', database: 'shop', ...input });

describe('checkSources, before a drill against RDS starts', () => {
  beforeEach(() => rds.reset());
  afterAll(() => rds.restore());

  it('passes sources that run the engine their targets name', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ Engine: 'mariadb' }] });
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ Engine: 'aurora-mysql' }] });

    await checkSources(
      [
        targetOf({ engine: 'mariadb', source: { instance: 'shop-prod' } }),
        targetOf({ name: 'ledger', engine: 'aurora-mysql', source: { cluster: 'ledger-prod' } }),
      ],
      client(),
    );

    expect(rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, {
      DBInstanceIdentifier: 'shop-prod',
    });
    expect(rds).toHaveReceivedCommandWith(DescribeDBClustersCommand, {
      DBClusterIdentifier: 'ledger-prod',
    });
  });

  it('names a source of another engine, whose checks could not run', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ Engine: 'mysql' }] });

    await expect(
      checkSources([targetOf({ engine: 'postgres', source: { instance: 'shop-prod' } })], client()),
    ).rejects.toThrow(
      "target shop: source instance shop-prod runs mysql, not postgres: set the target's engine to mysql",
    );
  });

  it('says which engines are drilled when the source runs none of them', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ Engine: 'sqlserver-ex' }] });

    await expect(
      checkSources([targetOf({ engine: 'mysql', source: { instance: 'shop-prod' } })], client()),
    ).rejects.toThrow(
      'source instance shop-prod runs sqlserver-ex, not mysql: restore-drill drills postgres, aurora-postgresql, mysql, mariadb, aurora-mysql',
    );
  });

  it('names a source that does not exist', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(
      new RDSServiceException({
        name: 'DBInstanceNotFoundFault',
        message: 'not found',
        $fault: 'client',
        $metadata: {},
      }),
    );

    await expect(
      checkSources([targetOf({ engine: 'mysql', source: { instance: 'shop-prod' } })], client()),
    ).rejects.toThrow(/source instance shop-prod does not exist in eu-west-1/);
  });
});
