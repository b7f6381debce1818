import 'aws-sdk-client-mock-vitest/extend';
import {
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, RestoreFailedError } from '#core/errors.ts';
import type { CopyInfo, SnapshotInfo } from '#core/ports.ts';
import { type DrillState, drillStateSchema, type StepName, stepNames } from '#core/state.ts';
import { DRILL_ID_TAG, TARGET_TAG } from '#core/steps.ts';
import { createDeps } from '#functions/shared/deps.ts';
import { stepHandler } from '#functions/shared/handler.ts';
import { eventFor, kebabCase } from '../fixtures/events.ts';
import {
  clockReading,
  type FakeDeps,
  FakeFleet,
  FakeVerifier,
  fakeDeps,
  fixedClock,
  MemoryBaselineStore,
  ownedBy,
  RecordingNotifier,
} from '../fixtures/fakes.ts';
import { lambdaContext } from '../fixtures/lambda-context.ts';

const ENV = { REPORT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:restore-drill-reports' };
const DRILL_ID = 'drill-orders-db-20260301t0300-a1b2';
const ENDPOINT = { host: `${DRILL_ID}.c9akciq32.eu-west-1.rds.amazonaws.com`, port: 5432 };

/** The drill state a fixture event holds, as the next step returns it. */
const stateOf = (step: StepName): DrillState => drillStateSchema.parse(eventFor(step));

const availableSnapshot: SnapshotInfo = {
  id: DRILL_ID,
  phase: 'available',
  status: 'available',
  createdAt: '2026-03-01T03:00:04.000Z',
  sizeBytes: 21474836480,
  tags: ownedBy(DRILL_ID),
};
const availableInstance: CopyInfo = {
  id: DRILL_ID,
  kind: 'instance',
  phase: 'available',
  status: 'available',
  endpoint: ENDPOINT,
  tags: ownedBy(DRILL_ID),
};

/** One Task state's handler, its deps made of the given fakes. */
function handlerFor(step: StepName, fakes: Partial<FakeDeps> = {}) {
  const { fleet, verifier, notifier, baselines, clock } = fakeDeps(fakes);
  const deps = createDeps(step, ENV, {
    fleet: () => fleet,
    verifier: () => verifier,
    notifier: () => notifier,
    baselines: () => baselines,
    clock,
  });
  const handler = stepHandler(step, { deps: () => deps });
  return (event: unknown) => handler(event, lambdaContext(`restore-drill-${step}Function`));
}

/** Everything the functions print (JSON logs and EMF metrics), one parsed object per line. */
let printed: Record<string, unknown>[] = [];
beforeEach(() => {
  printed = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        printed.push(JSON.parse(line) as Record<string, unknown>);
      }
      return true;
    });
  }
});
afterEach(() => vi.restoreAllMocks());

const emittedMetrics = () =>
  printed.filter((line) => '_aws' in line) as Array<Record<string, unknown>>;

describe('step handlers', () => {
  it('StartDrill validates the raw input and names the drill', async () => {
    const state = await handlerFor('StartDrill')(eventFor('StartDrill'));

    expect(state.drillId).toMatch(/^drill-orders-db-20260301t0300-[0-9a-f]{6}$/);
    expect({ ...state, drillId: DRILL_ID }).toEqual(stateOf('TakeSnapshot'));
  });

  it('TakeSnapshot asks the fleet for a snapshot tagged with the drill id', async () => {
    const fleet = new FakeFleet();

    const state = await handlerFor('TakeSnapshot', {
      fleet,
      clock: fixedClock('2026-03-01T03:00:01.000Z'),
    })(eventFor('TakeSnapshot'));

    expect(state).toEqual({ ...stateOf('CheckSnapshot'), wait: undefined });
    expect(fleet.snapshots.get(DRILL_ID)?.tags).toEqual({
      ...ownedBy(DRILL_ID),
      'restore-drill:target': 'orders-db',
    });
  });

  it('CheckSnapshot records the available snapshot and ends the wait', async () => {
    const fleet = new FakeFleet({ snapshots: [availableSnapshot] });

    const state = await handlerFor('CheckSnapshot', {
      fleet,
      clock: fixedClock('2026-03-01T03:06:00.000Z'),
    })(eventFor('CheckSnapshot'));

    expect(state).toEqual(stateOf('RestoreInstance'));
  });

  it('RestoreInstance restores the snapshot to an instance named after the drill', async () => {
    const fleet = new FakeFleet({ snapshots: [availableSnapshot] });

    const state = await handlerFor('RestoreInstance', {
      fleet,
      clock: fixedClock('2026-03-01T03:06:02.000Z'),
    })(eventFor('RestoreInstance'));

    expect(state).toEqual({ ...stateOf('CheckInstance'), wait: undefined });
    expect(fleet.instances.get(DRILL_ID)?.phase).toBe('pending');
  });

  it('CheckInstance records the endpoint of the available copy', async () => {
    const fleet = new FakeFleet({ instances: [availableInstance] });

    const state = await handlerFor('CheckInstance', {
      fleet,
      clock: fixedClock('2026-03-01T03:21:30.000Z'),
    })(eventFor('CheckInstance'));

    expect(state).toEqual(stateOf('Verify'));
  });

  it('Verify runs the checks against the restored copy at the snapshot time', async () => {
    const checks = stateOf('TearDown').verification?.checks ?? [];
    const verifier = new FakeVerifier(checks);

    const state = await handlerFor('Verify', {
      fleet: new FakeFleet({ instances: [availableInstance] }),
      verifier,
      clock: clockReading('2026-03-01T03:21:31.000Z', '2026-03-01T03:23:10.000Z'),
    })(eventFor('Verify'));

    expect(state).toEqual(stateOf('TearDown'));
    expect(verifier.calls).toEqual([
      {
        connection: { ...ENDPOINT, database: 'shop', user: 'drill' },
        recoveryPoint: new Date('2026-03-01T03:00:04.000Z'),
      },
    ]);
  });

  it('RecordBaseline keeps the source tables and counts for Verify, and their number in state', async () => {
    const verifier = new FakeVerifier();
    verifier.counts.set('source.internal', { 'public.orders': 120_000, 'public.items': null });
    const baselines = new MemoryBaselineStore();

    const state = await handlerFor('RecordBaseline', {
      verifier,
      baselines,
      clock: fixedClock('2026-03-01T03:00:02.000Z'),
    })(eventFor('RecordBaseline'));

    expect(state).toEqual({
      ...stateOf('RecordBaseline'),
      baseline: { takenAt: '2026-03-01T03:00:02.000Z', tables: 2 },
    });
    expect(verifier.counted).toEqual([
      { host: 'source.internal', port: 5432, database: 'shop', user: 'reader' },
    ]);
    expect(baselines.kept.get(`orders-db/${DRILL_ID}`)).toEqual({
      from: 'source',
      takenAt: '2026-03-01T03:00:02.000Z',
      drillId: DRILL_ID,
      tables: { 'public.orders': 120_000, 'public.items': null },
    });
  });

  it('TearDown deletes the restored copy and the snapshot', async () => {
    const fleet = new FakeFleet({ snapshots: [availableSnapshot], instances: [availableInstance] });

    const state = await handlerFor('TearDown', {
      fleet,
      clock: clockReading('2026-03-01T03:23:11.000Z', '2026-03-01T03:23:14.000Z'),
    })(eventFor('TearDown'));

    expect(state).toEqual(stateOf('PublishReport'));
    expect(fleet.deleted).toEqual([`instance ${DRILL_ID}`, `snapshot ${DRILL_ID}`]);
  });

  it('PublishReport sends the report and returns the verdict for the workflow', async () => {
    const notifier = new RecordingNotifier();

    const state = await handlerFor('PublishReport', {
      notifier,
      clock: fixedClock('2026-03-01T03:23:15.000Z'),
    })(eventFor('PublishReport'));

    expect(state).toEqual({
      ...stateOf('PublishReport'),
      verdict: 'PASS',
      summary: 'PASS orders-db: 4 checks passed, restored in 15 min 28 s',
    });
    expect(notifier.reports.map((r) => r.summary)).toEqual([state.summary]);
  });

  it.each(stepNames.filter((step) => step !== 'StartDrill'))(
    '%s rejects an invalid drill state with a ConfigError naming the bad fields',
    async (step) => {
      const event = eventFor(step);
      const invalid = {
        ...event,
        drillId: 42,
        target: { ...(event.target as object), name: 'Orders DB' },
      };

      const error = await handlerFor(step)(invalid).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(new RegExp(`^${step} input is invalid:`));
      expect((error as ConfigError).problems).toEqual([
        'target.name: must be lowercase letters, digits and single hyphens, starting with a letter',
        'drillId: Invalid input: expected string, received number',
      ]);
    },
  );

  it('StartDrill rejects an invalid target with a ConfigError naming the bad fields', async () => {
    const input = { target: { name: 'orders-db', engine: 'oracle', source: {} } };

    const error = await handlerFor('StartDrill')(input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'target.engine: must be one of postgres, aurora-postgresql, mysql, mariadb, aurora-mysql',
      'target.source: must be one of {"dataDir": "<PGlite directory>"}, {"instance": "<DB instance id>"}, {"cluster": "<Aurora cluster id>"}',
    ]);
  });

  it('StartDrill refuses to keep a copy: a deployed drill always tears down', async () => {
    const error = await handlerFor('StartDrill')({ ...eventFor('StartDrill'), keep: true }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^keep: deployed drills always tear down/),
    ]);
  });

  it('lets a step error propagate under its own name, for the workflow to catch', async () => {
    const fleet = new FakeFleet({
      instances: [{ ...availableInstance, phase: 'failed', status: 'incompatible-restore' }],
    });

    await expect(handlerFor('CheckInstance', { fleet })(eventFor('CheckInstance'))).rejects.toThrow(
      RestoreFailedError,
    );
    expect(printed).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'CheckInstance failed',
        step: 'CheckInstance',
        error: expect.objectContaining({ name: 'RestoreFailedError' }),
      }),
    );
  });

  it('emits step metrics, and a DrillCompleted count by verdict after PublishReport', async () => {
    await handlerFor('PublishReport', { clock: fixedClock('2026-03-01T03:23:15.000Z') })(
      eventFor('PublishReport'),
    );

    const completed = emittedMetrics().find((m) => 'DrillCompleted' in m);
    expect(completed).toMatchObject({
      service: 'restore-drill',
      verdict: 'PASS',
      DrillCompleted: 1,
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'RestoreDrill',
            Dimensions: [['service', 'verdict']],
            Metrics: [{ Name: 'DrillCompleted', Unit: 'Count' }],
          },
        ],
      },
    });
    expect(emittedMetrics().find((m) => 'StepSucceeded' in m)).toMatchObject({
      step: 'PublishReport',
      StepSucceeded: 1,
      StepDuration: expect.any(Number),
    });
  });
});

describe('deployed entry points', () => {
  const sns = mockClient(SNSClient);
  const rds = mockClient(RDSClient);
  const s3 = mockClient(S3Client);
  beforeEach(() => {
    sns.reset();
    rds.reset();
    s3.reset();
    sns.on(PublishCommand).resolves({ MessageId: '5f1c7e7a-0d5e-4a61-9b8e-3c1a2b4d6e8f' });
    vi.stubEnv('REPORT_TOPIC_ARN', ENV.REPORT_TOPIC_ARN);
  });
  afterEach(() => vi.unstubAllEnvs());
  afterAll(() => {
    sns.restore();
    rds.restore();
    s3.restore();
  });

  const entryPoint = async (step: StepName) => {
    const module = (await import(`../../functions/${kebabCase(step)}/index.ts`)) as {
      handler: (event: unknown, context: unknown) => Promise<DrillState>;
    };
    return (event: unknown) => module.handler(event, lambdaContext());
  };

  it('StartDrill starts a drill', async () => {
    const state = await (await entryPoint('StartDrill'))(eventFor('StartDrill'));

    expect(state.drillId).toMatch(/^drill-orders-db-\d{8}t\d{4}-[0-9a-f]{6}$/);
  });

  it('PublishReport publishes to the topic named in REPORT_TOPIC_ARN', async () => {
    const state = await (await entryPoint('PublishReport'))(eventFor('PublishReport'));

    expect(state.verdict).toBe('PASS');
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input.TopicArn).toBe(ENV.REPORT_TOPIC_ARN);
  });

  it('StartDrill and ListTargets read the targets from the stored configuration', async () => {
    vi.stubEnv('CONFIG_BUCKET', 'restore-drill-config-a1b2c3');
    vi.stubEnv('CONFIG_KEY', 'restore-drill/config.json');
    const target = stateOf('TakeSnapshot').target;
    s3.on(GetObjectCommand).resolves({
      VersionId: 'v2',
      Body: { transformToString: async () => JSON.stringify({ targets: [target] }) } as never,
    });

    const state = await (await entryPoint('StartDrill'))({ targetName: 'orders-db' });
    const listed = (await import('../../functions/list-targets/index.ts')).handler;
    const { targets } = (await listed({}, lambdaContext())) as {
      targets: { targetName: string; executionName: string }[];
    };

    expect(state.target).toEqual(target);
    expect(targets).toEqual([
      {
        targetName: 'orders-db',
        executionName: expect.stringMatching(/^orders-db-\d{8}t\d{6}-[0-9a-f]{6}$/),
      },
    ]);
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: 'restore-drill-config-a1b2c3',
      Key: 'restore-drill/config.json',
    });
  });

  it('TakeSnapshot asks RDS for a snapshot of the source, tagged as the drill', async () => {
    rds.on(CreateDBSnapshotCommand).resolves({
      DBSnapshot: { DBSnapshotIdentifier: DRILL_ID, Status: 'creating' },
    });

    const state = await (await entryPoint('TakeSnapshot'))(eventFor('TakeSnapshot'));

    expect(rds).toHaveReceivedCommandExactlyOnceWith(CreateDBSnapshotCommand, {
      DBInstanceIdentifier: 'orders-prod',
      DBSnapshotIdentifier: DRILL_ID,
      Tags: [
        { Key: DRILL_ID_TAG, Value: DRILL_ID },
        { Key: TARGET_TAG, Value: 'orders-db' },
      ],
    });
    expect(state.recoveryPoint).toMatchObject({ id: DRILL_ID, owned: true, status: 'creating' });
  });

  it('TearDown deletes the drill copy and its own snapshot, and nothing else', async () => {
    const tagList = [{ Key: DRILL_ID_TAG, Value: DRILL_ID }];
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { DBInstanceIdentifier: DRILL_ID, DBInstanceStatus: 'available', TagList: tagList },
      ],
    });
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: DRILL_ID, Status: 'available', TagList: tagList }],
    });

    const state = await (await entryPoint('TearDown'))(eventFor('TearDown'));

    expect(rds).toHaveReceivedCommandExactlyOnceWith(DeleteDBInstanceCommand, {
      DBInstanceIdentifier: DRILL_ID,
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
    expect(rds).toHaveReceivedCommandExactlyOnceWith(DeleteDBSnapshotCommand, {
      DBSnapshotIdentifier: DRILL_ID,
    });
    expect(state.teardown?.status).toBe('DONE');
  });
});
