import { describe, expect, it } from 'vitest';
import { copyInstanceClass, integrityOf, parseConfig } from '#core/config.ts';
import { ConfigError } from '#core/errors.ts';

const valid = {
  targets: [
    {
      name: 'orders',
      engine: 'postgres',
      database: 'postgres',
      source: { dataDir: './data' },
      checks: {
        integrity: true,
        tables: {
          orders: { minRows: 1000, freshness: { column: 'created_at', maxAgeMinutes: 1440 } },
        },
        sql: [
          {
            name: 'no negative totals',
            query: 'select count(*) from orders where total < 0',
            expect: { equals: 0 },
          },
        ],
      },
    },
  ],
};

describe('parseConfig', () => {
  it('accepts the documented shape and fills in defaults', () => {
    const config = parseConfig(valid);
    expect(config.targets[0]?.timeouts).toEqual({
      snapshotMinutes: 60,
      restoreMinutes: 90,
      verifyMinutes: 120,
    });
    expect(config.targets[0]?.checks.statementTimeoutSeconds).toBe(60);
  });

  it('names the path of every bad field', () => {
    const [target] = structuredClone(valid).targets;
    const bad = {
      targets: [
        {
          ...target,
          name: 'Orders DB',
          engine: 'oracle',
          typo: true,
          checks: {
            tables: { orders: { minRows: -1 } },
            sql: [{ name: 'x', query: 'select 1', expect: {} }],
          },
        },
      ],
    };
    const error = (() => {
      try {
        parseConfig(bad);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const paths = error?.problems.map((p) => p.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'targets[0].name',
        'targets[0].engine',
        'targets[0].checks.tables.orders.minRows',
        'targets[0].checks.sql[0].expect',
        'targets[0]',
      ]),
    );
  });

  it('rejects duplicate target names and an empty list', () => {
    expect(() => parseConfig({ targets: [] })).toThrow(ConfigError);
    expect(() => parseConfig({ targets: [valid.targets[0], valid.targets[0]] })).toThrow(/unique/);
  });
});

describe('parseConfig for Amazon RDS targets', () => {
  const rdsTarget = (overrides: object) => ({
    targets: [
      { name: 'orders', engine: 'postgres', source: { instance: 'orders-prod' }, ...overrides },
    ],
  });
  const problemsOf = (value: unknown) => {
    try {
      parseConfig(value);
    } catch (error) {
      return (error as ConfigError).problems;
    }
    throw new Error('expected the config to be refused');
  };

  it('takes a baseline with its defaults, refusing a source secret for a local source', () => {
    const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-reader-AbCdEf';
    const [t] = parseConfig(
      rdsTarget({ checks: { baseline: { sourceSecretArn: secret } } }),
    ).targets;
    expect(t?.checks.baseline).toEqual({
      tolerancePercent: 50,
      minRows: 1000,
      sourceSecretArn: secret,
    });
    expect(
      problemsOf(
        rdsTarget({ checks: { baseline: { tolerancePercent: 120, sourceSecretArn: 'x' } } }),
      ),
    ).toEqual([
      expect.stringMatching(/^targets\[0\]\.checks\.baseline\.tolerancePercent: /),
      'targets[0].checks.baseline.sourceSecretArn: must be a Secrets Manager secret ARN',
    ]);
    expect(
      problemsOf(
        rdsTarget({
          source: { dataDir: './data' },
          checks: { baseline: { sourceSecretArn: secret } },
        }),
      ),
    ).toEqual([
      'targets[0].checks.baseline.sourceSecretArn: a local (dataDir) source is never opened by a drill: its baseline is the last copy that passed',
    ]);
  });

  it('fills in the documented defaults of an instance source', () => {
    const [target] = parseConfig(rdsTarget({})).targets;

    expect(target?.recoveryPoint).toEqual({ mode: 'new-snapshot' });
    expect(target?.restore).toEqual({
      parameterGroup: 'source',
      optionGroup: 'source',
      tls: { mode: 'verify-full' },
      credentials: 'managed',
    });
    expect(target?.backupHealth).toEqual({
      maxRestorableLagMinutes: 60,
      maxAutomatedSnapshotAgeHours: 26,
    });
  });

  it('reads integrity as every check, none, or the ones named, and columns a table must have', () => {
    const checked = (checks: object) => {
      const [t] = parseConfig(rdsTarget({ checks })).targets;
      return t && integrityOf(t.checks);
    };
    const all = {
      indexes: true,
      parentCheck: false,
      heap: true,
      readAll: true,
      checkTable: 'medium',
    };
    expect(checked({})).toEqual(all);
    expect(checked({ integrity: false })).toBeUndefined();
    expect(checked({ integrity: { heap: false, parentCheck: true } })).toEqual({
      ...all,
      heap: false,
      parentCheck: true,
    });
    expect(problemsOf(rdsTarget({ checks: { integrity: { heapp: true } } }))).toEqual([
      expect.stringContaining('targets[0].checks.integrity'),
    ]);
    const [t] = parseConfig(
      rdsTarget({
        checks: { tables: { orders: { columns: { id: 'bigint', total: 'numeric' } } } },
      }),
    ).targets;
    expect(t?.checks.tables.orders?.columns).toEqual({ id: 'bigint', total: 'numeric' });
  });

  it('runs a copy on the smallest class its engine takes, unless the target names one', () => {
    const [instance] = parseConfig(rdsTarget({})).targets;
    const [aurora] = parseConfig(
      rdsTarget({ engine: 'aurora-postgresql', source: { cluster: 'orders-aurora' } }),
    ).targets;
    const [named] = parseConfig(rdsTarget({ restore: { instanceClass: 'db.r6g.large' } })).targets;
    expect(instance && copyInstanceClass(instance.restore, instance.engine)).toBe('db.t4g.micro');
    expect(aurora && copyInstanceClass(aurora.restore, aurora.engine)).toBe('db.t4g.medium');
    expect(named && copyInstanceClass(named.restore, named.engine)).toBe('db.r6g.large');
  });

  it('accepts every recovery-point mode and explicit restore settings', () => {
    for (const recoveryPoint of [
      { mode: 'latest-automated' },
      { mode: 'snapshot', id: 'arn:aws:rds:eu-west-1:123456789012:snapshot:nightly' },
      { mode: 'point-in-time', at: 'latest' },
      { mode: 'point-in-time', at: '2026-11-23T03:00:00Z' },
    ]) {
      const restore = {
        instanceClass: 'db.r6g.large',
        subnetGroup: 'drill-subnets',
        securityGroupIds: ['sg-0123456789abcdef0'],
        parameterGroup: 'drill-params',
        tls: { mode: 'require', caFile: './ca.pem' },
        credentials: {
          secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:drill-AbCd',
        },
      };
      const [target] = parseConfig(rdsTarget({ recoveryPoint, restore })).targets;
      expect(target?.recoveryPoint).toEqual(recoveryPoint);
      expect(target?.restore.optionGroup).toBe('source');
    }
  });

  it('takes an Aurora cluster with the aurora-postgresql engine', () => {
    const value = rdsTarget({ engine: 'aurora-postgresql', source: { cluster: 'orders-aurora' } });

    expect(parseConfig(value).targets[0]?.source).toEqual({ cluster: 'orders-aurora' });
  });

  it('takes MySQL-family engines: mysql and mariadb instances, aurora-mysql clusters', () => {
    const [mysql] = parseConfig(rdsTarget({ engine: 'mysql', database: 'shop' })).targets;
    const [mariadb] = parseConfig(rdsTarget({ engine: 'mariadb', database: 'shop' })).targets;
    const [aurora] = parseConfig(
      rdsTarget({ engine: 'aurora-mysql', database: 'shop', source: { cluster: 'shop-aurora' } }),
    ).targets;

    expect(mysql).toMatchObject({ engine: 'mysql', database: 'shop' });
    expect(mariadb).toMatchObject({ engine: 'mariadb', source: { instance: 'orders-prod' } });
    expect(aurora).toMatchObject({ engine: 'aurora-mysql', source: { cluster: 'shop-aurora' } });
    expect(aurora && copyInstanceClass(aurora.restore, aurora.engine)).toBe('db.t4g.medium');
    expect(mysql && copyInstanceClass(mysql.restore, mysql.engine)).toBe('db.t4g.micro');
    expect(problemsOf(rdsTarget({ engine: 'oracle-ee' }))).toEqual([
      'targets[0].engine: must be one of postgres, aurora-postgresql, mysql, mariadb, aurora-mysql',
    ]);
  });

  it('needs a MySQL-family target to name its database: MySQL has no default one', () => {
    expect(problemsOf(rdsTarget({ engine: 'mariadb' }))).toEqual([
      "targets[0].database: a mariadb target names the database its checks cover: MySQL has no default one (postgres is PostgreSQL's)",
    ]);
  });

  it("refuses an integrity option that only the other engine family's checks have", () => {
    const mysql = (integrity: object) =>
      rdsTarget({ engine: 'mysql', database: 'shop', checks: { integrity } });
    const [t] = parseConfig(mysql({ checkTable: 'extended', readAll: false })).targets;

    expect(t && integrityOf(t.checks)).toMatchObject({ checkTable: 'extended', readAll: false });
    expect(problemsOf(mysql({ parentCheck: true, heap: false }))).toEqual([
      'targets[0].checks.integrity.parentCheck: parentCheck is a PostgreSQL check; on mysql, integrity is CHECK TABLE (checkTable) and readAll',
      'targets[0].checks.integrity.heap: heap is a PostgreSQL check; on mysql, integrity is CHECK TABLE (checkTable) and readAll',
    ]);
    expect(problemsOf(rdsTarget({ checks: { integrity: { checkTable: 'quick' } } }))).toEqual([
      'targets[0].checks.integrity.checkTable: checkTable is for MySQL-family engines; on postgres, integrity is indexes, parentCheck, heap and readAll',
    ]);
  });

  it('names every bad field of an RDS target', () => {
    const problems = problemsOf(
      rdsTarget({
        source: { instance: 'orders--prod' },
        recoveryPoint: { mode: 'point-in-time', at: 'yesterday' },
        restore: {
          instanceClass: 't4g.micro',
          securityGroupIds: ['default'],
          tls: { mode: 'verify-ca' },
          credentials: { secretArn: 'hunter2' },
        },
        backupHealth: { maxRestorableLagMinutes: -1 },
      }),
    );

    expect(problems).toEqual([
      'targets[0].source.instance: must be an RDS identifier: letters, digits and single hyphens, starting with a letter',
      'targets[0].recoveryPoint.at: must be "latest" or an ISO time such as 2026-11-23T03:00:00Z',
      'targets[0].restore.instanceClass: must be a DB instance class, e.g. db.t4g.micro',
      'targets[0].restore.securityGroupIds[0]: must be a security group id (sg-...)',
      'targets[0].restore.tls.mode: Invalid option: expected one of "verify-full"|"require"|"disable"',
      'targets[0].restore.credentials.secretArn: must be a Secrets Manager secret ARN',
      'targets[0].backupHealth.maxRestorableLagMinutes: Too small: expected number to be >0',
    ]);
  });

  it('matches the engine to the kind of source', () => {
    expect(problemsOf(rdsTarget({ source: { cluster: 'orders-aurora' } }))).toEqual([
      'targets[0].engine: a cluster source is Aurora: use aurora-postgresql, not postgres',
    ]);
    expect(problemsOf(rdsTarget({ engine: 'aurora-postgresql' }))).toEqual([
      'targets[0].source: an aurora-postgresql source is a cluster: {"cluster": "<Aurora cluster id>"}',
    ]);
    const mysql = (engine: string, source: object) =>
      problemsOf(rdsTarget({ engine, database: 'shop', source }));
    expect(mysql('mysql', { cluster: 'shop-aurora' })).toEqual([
      'targets[0].engine: a cluster source is Aurora: use aurora-mysql, not mysql',
    ]);
    expect(mysql('mariadb', { cluster: 'shop-aurora' })).toEqual([
      'targets[0].engine: a cluster source is Aurora: use aurora-mysql, not mariadb',
    ]);
    expect(mysql('aurora-mysql', { instance: 'shop-prod' })).toEqual([
      'targets[0].source: an aurora-mysql source is a cluster: {"cluster": "<Aurora cluster id>"}',
    ]);
  });

  it('drills a local (PGlite) source with the postgres engine only', () => {
    for (const engine of ['mysql', 'mariadb', 'aurora-mysql', 'aurora-postgresql']) {
      expect(
        problemsOf(rdsTarget({ engine, database: 'shop', source: { dataDir: './data' } })),
      ).toEqual([
        `targets[0].source: a local (dataDir) source is a PGlite directory, which only the postgres engine drills, not ${engine}`,
      ]);
    }
  });

  it('drills a local source only from a new snapshot', () => {
    const value = rdsTarget({
      source: { dataDir: './data' },
      recoveryPoint: { mode: 'latest-automated' },
    });

    expect(problemsOf(value)).toEqual([
      'targets[0].recoveryPoint: a local (dataDir) source is always drilled from a new snapshot',
    ]);
  });
});
