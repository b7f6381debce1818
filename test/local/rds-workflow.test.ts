import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  RestoreDBClusterToPointInTimeCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { RdsFleet } from '#adapters/rds/fleet.ts';
import { type Target, type TargetInput, targetSchema } from '#core/config.ts';
import { runRdsDrill } from '#local/run-rds.ts';
import { type EventLog, runWorkflow } from '#local/workflow.ts';
import {
  FakeVerifier,
  MemoryBaselineStore,
  passingChecks,
  RecordingNotifier,
} from '../fixtures/fakes.ts';
import {
  GIVEN_SECRET,
  GIVEN_SECRET_VALUE,
  SHARED_CLUSTER_SNAPSHOT,
  SHARED_SNAPSHOT,
  SimulatedClock,
  SimulatedRds,
  type SimulatedScript,
  SOURCE_CLUSTER,
  SOURCE_INSTANCE,
} from '../fixtures/simulated-rds.ts';

type Kind = 'instance' | 'cluster';
type Mode = NonNullable<TargetInput['recoveryPoint']>['mode'];

const kinds: Kind[] = ['instance', 'cluster'];
const modes: Mode[] = ['new-snapshot', 'latest-automated', 'snapshot', 'point-in-time'];

const SOURCES = {
  instance: { engine: 'postgres', source: { instance: SOURCE_INSTANCE } },
  cluster: { engine: 'aurora-postgresql', source: { cluster: SOURCE_CLUSTER } },
} as const;

/** The recovery point of each mode a drill of `kind` restores. */
function recoveryPointOf(kind: Kind, mode: Mode): TargetInput['recoveryPoint'] {
  if (mode === 'snapshot') {
    return { mode, id: kind === 'instance' ? SHARED_SNAPSHOT : SHARED_CLUSTER_SNAPSHOT };
  }
  if (mode === 'point-in-time') return { mode, at: 'latest' };
  return { mode };
}

/** A target of the simulated account's source of `kind`: managed credentials unless told. */
function targetFor(kind: Kind, overrides: Partial<TargetInput> = {}): Target {
  return targetSchema.parse({
    name: 'orders',
    database: 'shop',
    ...SOURCES[kind],
    timeouts: { snapshotMinutes: 20, restoreMinutes: 30 },
    ...overrides,
  });
}

interface DrillOptions {
  script?: SimulatedScript;
  target?: Partial<TargetInput>;
  verifier?: FakeVerifier;
}

/** A drill of the source of `kind` through the workflow definition, over a simulated account. */
async function drill(kind: Kind, options: DrillOptions = {}) {
  const { script, target: overrides } = options;
  const clock = new SimulatedClock();
  const account = new SimulatedRds(clock, script);
  const fleet = new RdsFleet(account.client(), account.secretsClient(), clock);
  const verifier = options.verifier ?? new FakeVerifier(passingChecks);
  const notifier = new RecordingNotifier();
  const events: EventLog[] = [];
  const target = targetFor(kind, overrides);
  const baselines = new MemoryBaselineStore();
  const run = await runWorkflow(
    { target },
    { fleet, verifier, notifier, baselines, clock },
    { waitMs: 0, retryMs: 0, onEvent: (event) => events.push(event) },
  );
  const report = notifier.reports[0];
  return { run, account, verifier, report, events, drillId: report?.drillId ?? '' };
}

/** How many events of a type the workflow logged for a state (entered, retried, ...). */
const count = (events: EventLog[], type: EventLog['type'], state: string) =>
  events.filter((e) => e.type === type && 'state' in e && e.state.name === state).length;

const endpointOf = (id: string) => `${id}.abc123xyz.eu-west-1.rds.amazonaws.com`;

describe.each(kinds)('a drill of an RDS %s, on a simulated timeline', (kind) => {
  const sourceId = kind === 'instance' ? SOURCE_INSTANCE : SOURCE_CLUSTER;
  const instanceClass = kind === 'instance' ? 'db.t4g.micro' : 'db.t4g.medium';
  const deleteCopy = kind === 'instance' ? 'DeleteDBInstance' : 'DeleteDBCluster';
  const modify = kind === 'instance' ? 'ModifyDBInstance' : 'ModifyDBCluster';

  it('reads the source’s baseline read-only as it is snapshotted, and fails a copy missing a table', async () => {
    const sourceHost =
      kind === 'instance'
        ? endpointOf(sourceId)
        : `${sourceId}.cluster-ro-abc123xyz.eu-west-1.rds.amazonaws.com`;
    const verifier = new FakeVerifier(passingChecks);
    verifier.counts.set(sourceHost, { 'public.orders': 120_000, 'public.refunds': 4_000 });
    verifier.otherCounts = { 'public.orders': 119_000 };
    const { report, events } = await drill(kind, {
      verifier,
      target: { checks: { baseline: { sourceSecretArn: GIVEN_SECRET } } },
    });

    const entered = events
      .filter((e) => e.type === 'StateEntered' && 'state' in e)
      .map((e) => ('state' in e ? e.state.name : ''));
    expect(entered.slice(1, 4)).toEqual(['TakeSnapshot', 'BaselineFromSource', 'RecordBaseline']);
    expect(verifier.counted[0]).toMatchObject({
      host: sourceHost,
      port: 5432,
      database: 'shop',
      user: GIVEN_SECRET_VALUE.username,
      password: GIVEN_SECRET_VALUE.password,
    });
    expect(report?.checks.find((c) => c.name === 'baseline')).toMatchObject({
      status: 'FAIL',
      message: expect.stringMatching(
        /^1 of 2 tables missing: public\.refunds \(against the baseline from the source at /,
      ),
    });
    expect(report?.summary).toMatch(/^FAIL orders: baseline failed/);
    expect(JSON.stringify(report)).not.toContain(GIVEN_SECRET_VALUE.password);
  });

  it('never opens the source of a target with no source baseline', async () => {
    const { events, verifier } = await drill(kind);
    expect(count(events, 'StateEntered', 'RecordBaseline')).toBe(0);
    expect(verifier.counted).toEqual([]);
  });

  it.each(modes)(
    'from %s: restores, verifies with the managed secret, tears down, touches no source or backup',
    async (mode) => {
      const { run, account, verifier, report, events, drillId } = await drill(kind, {
        target: { recoveryPoint: recoveryPointOf(kind, mode) },
      });

      expect(report?.summary).toMatch(/^PASS/);
      expect(run.error).toBeUndefined();
      expect(report?.checks.map((c) => `${c.status} ${c.name}`)).toEqual([
        'PASS connectivity',
        'PASS integrity',
        'PASS backup:retention',
        'PASS backup:restorable-lag',
        'PASS backup:automated-snapshot',
      ]);

      const picked = {
        'new-snapshot': { kind: 'snapshot', id: drillId, engineVersion: '16.4' },
        // Tonight's, not last night's.
        'latest-automated': {
          kind: 'snapshot',
          id: `rds:${sourceId}-2026-11-23-00-10`,
          engineVersion: '16.4',
        },
        snapshot: {
          kind: 'snapshot',
          id: kind === 'instance' ? SHARED_SNAPSHOT : SHARED_CLUSTER_SNAPSHOT,
          engineVersion: '16.3',
        },
        'point-in-time': { kind: 'point-in-time', id: sourceId, engineVersion: '16.4' },
      }[mode];
      expect(report?.restoredFrom).toMatchObject({ mode, ...picked });
      expect(report?.copy).toEqual({
        id: drillId,
        kind,
        endpoint: `${endpointOf(drillId)}:5432`,
        instanceClass,
        engineVersion: picked.engineVersion,
      });
      expect(report?.timings.backendRestoreMs).toBeGreaterThan(0);
      expect(report?.timings.restoreMs).toBeGreaterThanOrEqual(
        report?.timings.backendRestoreMs ?? Number.NaN,
      );

      // Teardown deleted the copy (and the drill's own snapshot), and nothing else.
      expect(report?.teardown).toMatchObject({
        status: 'DONE',
        deleted: [
          `${kind} ${drillId}`,
          ...(mode === 'new-snapshot' ? [`snapshot ${drillId}`] : []),
        ],
      });
      expect(account.accepted(deleteCopy)).toHaveLength(1);
      expect(account.leftovers()).toEqual([]);
      expect(account.touching()).toEqual([]);
      expect(new Set(account.mutations.flatMap((m) => m.targets))).toEqual(new Set([drillId]));

      // The checks ran on the copy, with the credentials of its RDS-managed master secret.
      const secret = account.managedSecretOf(drillId);
      expect(secret.arn).toMatch(
        kind === 'instance'
          ? /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-/
          : /^arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-/,
      );
      expect(account.accepted(modify)).toHaveLength(1);
      expect(verifier.connections).toHaveLength(1);
      expect(verifier.connections[0]).toMatchObject({
        host: endpointOf(drillId),
        port: 5432,
        database: 'shop',
        user: 'orders_admin',
        password: secret.password,
        ssl: { rejectUnauthorized: true },
      });
      expect(
        account.secretsStub.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input),
      ).toEqual([{ SecretId: secret.arn }]);
      // The password is never in the drill state, at any step, nor in the report.
      expect(run.output).toMatchObject({ verdict: 'PASS' });
      expect(JSON.stringify({ output: run.output, report, events })).not.toContain(secret.password);
    },
  );

  it('makes the copy from the source settings, forced safe', async () => {
    const { account, report, drillId } = await drill(kind);

    expect(report?.status).toBe('PASS');
    if (kind === 'instance') {
      expect(account.instances.get(drillId)?.attrs).toMatchObject({
        DBInstanceClass: 'db.t4g.micro',
        DBSubnetGroup: { DBSubnetGroupName: 'prod-subnets' },
        VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0aaaaaaaaaaaaaaaa' }],
        DBParameterGroups: [{ DBParameterGroupName: 'prod-pg16' }],
        OptionGroupMemberships: [{ OptionGroupName: 'default:postgres-16' }],
        PubliclyAccessible: false,
        MultiAZ: false,
        DeletionProtection: false,
        BackupRetentionPeriod: 0,
        CopyTagsToSnapshot: false,
      });
    } else {
      expect(account.clusters.get(drillId)?.attrs).toMatchObject({
        DBClusterParameterGroup: 'prod-aurora-pg16-cluster',
        DBSubnetGroup: 'prod-subnets',
        VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0bbbbbbbbbbbbbbbb' }],
        DeletionProtection: false,
        CopyTagsToSnapshot: false,
      });
      expect(account.instances.get(drillId)?.attrs).toMatchObject({
        DBClusterIdentifier: drillId,
        DBInstanceClass: 'db.t4g.medium',
        DBParameterGroups: [{ DBParameterGroupName: 'prod-aurora-pg16' }],
        PubliclyAccessible: false,
      });
    }
  });

  it('restores a point in time to the instant it picked, as a full copy', async () => {
    const { account, report } = await drill(kind, {
      target: { recoveryPoint: { mode: 'point-in-time', at: 'latest' } },
    });

    expect(report?.status).toBe('PASS');
    const at = report?.recoveryPoint?.at ?? '';
    // The latest restorable time when the drill began: about five minutes before it.
    const before = Date.parse(report?.startedAt ?? '') - Date.parse(at);
    expect(before).toBeGreaterThan(4 * 60_000);
    expect(before).toBeLessThanOrEqual(5 * 60_000);
    if (kind === 'instance') {
      const [call] = account.stub.commandCalls(RestoreDBInstanceToPointInTimeCommand);
      expect(call?.args[0].input).toMatchObject({
        SourceDBInstanceIdentifier: SOURCE_INSTANCE,
        RestoreTime: new Date(at),
      });
    } else {
      const [call] = account.stub.commandCalls(RestoreDBClusterToPointInTimeCommand);
      expect(call?.args[0].input).toMatchObject({
        SourceDBClusterIdentifier: SOURCE_CLUSTER,
        RestoreToTime: new Date(at),
        RestoreType: 'full-copy',
      });
    }
  });

  it('waits for the transaction logs to reach a point in time just past the latest restorable one', async () => {
    // Two minutes before the drill starts; the logs reach five minutes back.
    const { report, events, account } = await drill(kind, {
      target: { recoveryPoint: { mode: 'point-in-time', at: '2026-11-23T02:58:00Z' } },
    });

    expect(report?.status).toBe('PASS');
    expect(report?.recoveryPoint?.at).toBe('2026-11-23T02:58:00.000Z');
    expect(count(events, 'StateEntered', 'CheckSnapshot')).toBeGreaterThan(3);
    expect(account.leftovers()).toEqual([]);
  });

  it('absorbs a throttling burst during polling in the SDK retries, and still passes', async () => {
    const { report, account } = await drill(kind, {
      script: {
        throttling: [
          { atMinute: 3, calls: 6 },
          { fromMinute: 5, untilMinute: 7 },
        ],
      },
    });

    expect(report?.summary).toMatch(/^PASS/);
    expect(account.throttled).toBeGreaterThan(10);
    expect(account.leftovers()).toEqual([]);
  });

  it('fails fast on a restore that ends failed, with the status named, and deletes the copy', async () => {
    const status =
      kind === 'instance' ? 'incompatible-restore' : 'inaccessible-encryption-credentials';
    const { run, account, report, drillId } = await drill(kind, {
      script: {
        restore: [
          ['creating', 4],
          [status, Number.POSITIVE_INFINITY],
        ],
      },
    });

    expect(report?.status).toBe('ERROR');
    expect(report?.failure).toMatchObject({
      step: 'CheckInstance',
      error: 'RestoreFailedError',
      message: expect.stringContaining(status),
    });
    expect(run.error?.name).toBe('DrillErroredError');
    expect(report?.teardown.deleted).toEqual([`${kind} ${drillId}`, `snapshot ${drillId}`]);
    expect(account.accepted(deleteCopy)).toHaveLength(1);
    expect(account.leftovers()).toEqual([]);
    expect(account.touching()).toEqual([]);
  });

  it('gives up on a restore that outlasts its deadline, and deletes the copy once RDS lets it', async () => {
    const { account, report, events, drillId } = await drill(kind, {
      script: {
        restore: [
          ['creating', 32],
          ['available', Number.POSITIVE_INFINITY],
        ],
      },
    });

    expect(report?.failure).toMatchObject({ step: 'CheckInstance', error: 'RestoreTimeoutError' });
    expect(report?.status).toBe('ERROR');
    // TearDown is retried (TeardownPendingError) until RDS lets the copy go.
    expect(count(events, 'StateRetried', 'TearDown')).toBeGreaterThan(1);
    expect(report?.teardown).toMatchObject({
      status: 'DONE',
      deleted: [`${kind} ${drillId}`, `snapshot ${drillId}`],
    });
    expect(account.leftovers()).toEqual([]);
  });

  it('reports a copy deleted behind its back, and still deletes its own snapshot', async () => {
    const { account, report, drillId } = await drill(kind, {
      script: { copyVanishesAfter: kind === 'instance' ? 6.1 : 10 },
    });

    expect(report?.status).toBe('ERROR');
    expect(report?.failure).toMatchObject({
      step: 'CheckInstance',
      error: 'RestoreFailedError',
      message: expect.stringMatching(/no longer exists/),
    });
    expect(report?.teardown.deleted).toEqual([`snapshot ${drillId}`]);
    expect(account.accepted(deleteCopy)).toHaveLength(0);
    expect(account.leftovers()).toEqual([]);
  });

  it('gives up on a snapshot that outlasts its deadline, and deletes it once it is done', async () => {
    const { account, report, events, drillId } = await drill(kind, {
      script: {
        snapshot: [
          ['creating', 22],
          ['available', Number.POSITIVE_INFINITY],
        ],
      },
    });

    expect(report?.failure).toMatchObject({ step: 'CheckSnapshot', error: 'SnapshotTimeoutError' });
    expect(count(events, 'StateRetried', 'TearDown')).toBeGreaterThan(1);
    expect(report?.teardown).toMatchObject({ status: 'DONE', deleted: [`snapshot ${drillId}`] });
    expect(account.leftovers()).toEqual([]);
  });

  it('reports a snapshot that failed, and deletes it', async () => {
    const { account, report, drillId } = await drill(kind, {
      script: {
        snapshot: [
          ['creating', 1],
          ['failed', Number.POSITIVE_INFINITY],
        ],
      },
    });

    expect(report?.failure).toMatchObject({
      step: 'CheckSnapshot',
      error: 'SnapshotFailedError',
      message: expect.stringContaining('failed'),
    });
    expect(report?.teardown).toMatchObject({ status: 'DONE', deleted: [`snapshot ${drillId}`] });
    expect(account.leftovers()).toEqual([]);
  });

  it('restores an automated snapshot named by its rds: id, and never deletes it', async () => {
    // Last night's, not the newest.
    const id = `rds:${sourceId}-2026-11-22-00-10`;
    const { account, report } = await drill(kind, {
      target: { recoveryPoint: { mode: 'snapshot', id } },
    });

    expect(report?.summary).toMatch(/^PASS/);
    expect(account.backups[kind].automated).toContain(id);
    expect(report?.restoredFrom).toMatchObject({ mode: 'snapshot', kind: 'snapshot', id });
    expect(report?.teardown.deleted).toEqual([`${kind} ${report?.drillId}`]);
    expect(account.touching()).toEqual([]);
    expect(account.leftovers()).toEqual([]);
  });

  it('deletes nothing when the snapshot request is refused, and says what to do', async () => {
    const action = kind === 'instance' ? 'CreateDBSnapshot' : 'CreateDBClusterSnapshot';
    const { account, report } = await drill(kind, {
      script: { refuse: { [action]: 'SnapshotQuotaExceededFault' } },
    });

    expect(report?.failure).toMatchObject({
      step: 'TakeSnapshot',
      error: 'SnapshotFailedError',
      message: expect.stringMatching(/manual DB snapshot quota/),
    });
    expect(account.mutations.map((m) => `${m.action} ${m.outcome}`)).toEqual([
      `${action} SnapshotQuotaExceededFault`,
    ]);
    expect(report?.teardown).toMatchObject({ status: 'DONE', deleted: [] });
    expect(account.leftovers()).toEqual([]);
  });

  it.each([
    ['in the future', '2026-11-23T04:00:00Z', /is in the future/],
    [
      'before the earliest restorable time',
      '2026-11-01T00:00:00Z',
      /before the earliest restorable/,
    ],
  ])('refuses a point in time %s at TakeSnapshot, creating nothing', async (_, at, message) => {
    const { account, report, run } = await drill(kind, {
      target: { recoveryPoint: { mode: 'point-in-time', at } },
    });

    expect(report?.status).toBe('ERROR');
    expect(run.error?.name).toBe('DrillErroredError');
    expect(report?.failure).toMatchObject({
      step: 'TakeSnapshot',
      error: 'SnapshotFailedError',
      message: expect.stringMatching(message),
    });
    expect(account.mutations).toEqual([]);
    expect(report?.teardown).toMatchObject({ status: 'DONE', message: 'nothing to delete' });
    expect(account.leftovers()).toEqual([]);
  });

  it('refuses latest-automated when the source has no automated snapshot, saying to turn backups on', async () => {
    const { account, report } = await drill(kind, {
      // An instance with backups off; a new Aurora cluster whose first backup has not run yet.
      script: kind === 'instance' ? { backupRetentionDays: 0 } : { automatedSnapshots: false },
      target: { recoveryPoint: { mode: 'latest-automated' } },
    });

    expect(report?.status).toBe('ERROR');
    expect(report?.failure).toMatchObject({
      step: 'TakeSnapshot',
      error: 'SnapshotFailedError',
      message: expect.stringMatching(/no available automated snapshot: turn automated backups on/),
    });
    expect(account.mutations).toEqual([]);
    expect(account.leftovers()).toEqual([]);
  });

  it('connects with a secret the target names, without turning on a managed one', async () => {
    const { account, verifier, report, run } = await drill(kind, {
      target: { restore: { credentials: { secretArn: GIVEN_SECRET } } },
    });

    expect(report?.status).toBe('PASS');
    expect(account.accepted(modify)).toHaveLength(0);
    expect(verifier.connections[0]).toMatchObject({
      user: GIVEN_SECRET_VALUE.username,
      password: GIVEN_SECRET_VALUE.password,
    });
    expect(JSON.stringify({ output: run.output, report })).not.toContain(
      GIVEN_SECRET_VALUE.password,
    );
    expect(account.leftovers()).toEqual([]);
  });
});

describe('a drill of an Aurora cluster whose instance RDS refuses', () => {
  it.each([
    ['InsufficientDBInstanceCapacityFault', /no capacity for the requested instance class/],
    ['InstanceQuotaExceededFault', /DB instance quota/],
  ])('ends in ERROR on %s, and still deletes the cluster', async (refusal, message) => {
    const { account, report, drillId } = await drill('cluster', {
      script: { refuse: { CreateDBInstance: refusal } },
    });

    expect(report?.status).toBe('ERROR');
    expect(report?.failure).toMatchObject({
      step: 'CheckInstance',
      error: 'RestoreFailedError',
      message: expect.stringMatching(message),
    });
    expect(account.accepted('DeleteDBCluster')).toHaveLength(1);
    expect(report?.teardown).toMatchObject({
      status: 'DONE',
      deleted: [`cluster ${drillId}`, `snapshot ${drillId}`],
    });
    expect(account.leftovers()).toEqual([]);
    expect(account.touching()).toEqual([]);
  });
});

describe('a drill of an Aurora cluster backing up after its restore', () => {
  it('adds the instance once RDS lets it, and passes', async () => {
    const { account, report } = await drill('cluster', {
      script: {
        restore: [
          ['creating', 8],
          ['backing-up', 2],
          ['available', Number.POSITIVE_INFINITY],
        ],
      },
    });

    expect(report?.summary).toMatch(/^PASS/);
    const creates = account.mutations.filter((m) => m.action === 'CreateDBInstance');
    expect(creates.map((m) => m.outcome)).toContain('InvalidDBClusterStateFault');
    expect(account.accepted('CreateDBInstance')).toHaveLength(1);
    expect(account.leftovers()).toEqual([]);
  });
});

describe('a drill of an RDS instance with managed credentials', () => {
  it('refuses a point in time of an instance whose automated backups are off', async () => {
    const { account, report } = await drill('instance', {
      script: { backupRetentionDays: 0 },
      target: { recoveryPoint: { mode: 'point-in-time', at: 'latest' } },
    });

    expect(report?.failure).toMatchObject({
      step: 'TakeSnapshot',
      error: 'SnapshotFailedError',
      message: expect.stringMatching(/no point-in-time recovery .*turn them on/),
    });
    expect(account.mutations).toEqual([]);
  });

  it('passes through a restored instance backing-up before it is modified', async () => {
    const { report, account } = await drill('instance');

    expect(report?.status).toBe('PASS');
    // The modify waits for the copy at rest: asked once, when it is available, and accepted.
    const modifies = account.mutations.filter((m) => m.action === 'ModifyDBInstance');
    expect(modifies.map((m) => m.outcome)).toEqual(['ok']);
    expect(report?.timings.restoreMs).toBeGreaterThanOrEqual(8 * 60_000);
  });
});

describe('runRdsDrill, the CLI run against RDS', () => {
  it.each(kinds)('returns the report of a drill of an %s that ran to the end', async (kind) => {
    const clock = new SimulatedClock();
    const account = new SimulatedRds(clock);
    const fleet = new RdsFleet(account.client(), account.secretsClient(), clock);
    const verifier = new FakeVerifier(passingChecks);

    const report = await runRdsDrill(targetFor(kind), { fleet, verifier, clock, waitMs: 0 });

    expect(report.status).toBe('PASS');
    const secret = account.managedSecretOf(report.drillId);
    expect(verifier.connections[0]?.password).toBe(secret.password);
    expect(JSON.stringify(report)).not.toContain(secret.password);
    expect(account.leftovers()).toEqual([]);
    expect(account.touching()).toEqual([]);
  });

  it.each(kinds)(
    'tears down what an interrupted drill of an %s made, waiting for a copy still being created',
    async (kind) => {
      const clock = new SimulatedClock();
      const account = new SimulatedRds(clock);
      const fleet = new RdsFleet(account.client(), account.secretsClient(), clock);
      const interrupt = new AbortController();
      const said: string[] = [];

      const stopped = await runRdsDrill(targetFor(kind), {
        fleet,
        clock,
        waitMs: 0,
        signal: interrupt.signal,
        say: (line) => said.push(line),
        onEvent: (event) => {
          if (
            event.type === 'StateExited' &&
            'state' in event &&
            event.state.name === 'RestoreInstance'
          )
            interrupt.abort();
        },
      }).catch((e: unknown) => e as Error);

      expect(stopped).toBeInstanceOf(Error);
      expect((stopped as Error).message).toMatch(/stopped before reporting/);
      expect(said.some((line) => line.startsWith('Teardown waits:'))).toBe(true);
      expect(said.at(-1)).toMatch(
        new RegExp(`^Teardown: deleted ${kind} drill-orders-.* and snapshot drill-orders-`),
      );
      expect(account.leftovers()).toEqual([]);
      expect(account.touching()).toEqual([]);
      // The snapshot was the drill's own: made from the source, never restored over it.
      const snapshotCalls =
        kind === 'instance'
          ? account.stub.commandCalls(CreateDBSnapshotCommand)
          : account.stub.commandCalls(CreateDBClusterSnapshotCommand);
      expect(snapshotCalls).toHaveLength(1);
    },
  );
  it('tears down an interrupted Aurora drill whose instance is being made: the instance, then the cluster', async () => {
    const clock = new SimulatedClock();
    const account = new SimulatedRds(clock);
    const fleet = new RdsFleet(account.client(), account.secretsClient(), clock);
    const interrupt = new AbortController();
    const said: string[] = [];

    const stopped = await runRdsDrill(targetFor('cluster'), {
      fleet,
      clock,
      waitMs: 0,
      signal: interrupt.signal,
      say: (line) => said.push(line),
      onEvent: (event) => {
        const output = 'state' in event ? JSON.stringify(event.state.output ?? '') : '';
        if (event.type === 'StateExited' && output.includes('instance creating')) interrupt.abort();
      },
    }).catch((e: unknown) => e as Error);

    expect((stopped as Error).message).toMatch(/stopped before reporting/);
    expect(said.filter((line) => line.startsWith('Teardown waits:')).join('\n')).toMatch(
      /can be deleted once its instance is gone/,
    );
    expect(said.at(-1)).toMatch(/^Teardown: deleted cluster drill-orders-.* and snapshot /);
    expect(account.accepted('DeleteDBInstance')).toHaveLength(1);
    expect(account.accepted('DeleteDBCluster')).toHaveLength(1);
    expect(account.leftovers()).toEqual([]);
    expect(account.touching()).toEqual([]);
  });
});
