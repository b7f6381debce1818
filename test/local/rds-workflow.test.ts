import {
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { RdsFleet } from '#adapters/rds/fleet.ts';
import { targetSchema } from '#core/config.ts';
import { runRdsDrill } from '#local/run-rds.ts';
import { runWorkflow } from '#local/workflow.ts';
import { FakeVerifier, passingChecks, RecordingNotifier } from '../fixtures/fakes.ts';
import { SimulatedClock, SimulatedRds, type SimulatedScript } from '../fixtures/simulated-rds.ts';

const rds = mockClient(RDSClient);
const secrets = mockClient(SecretsManagerClient);
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-drill-AbCdEf';
const PASSWORD = 'never-in-state-or-report';

const target = targetSchema.parse({
  name: 'orders',
  engine: 'postgres',
  database: 'shop',
  source: { instance: 'orders-prod' },
  restore: { credentials: { secretArn: SECRET } },
  timeouts: { snapshotMinutes: 20, restoreMinutes: 30 },
});

/** The RDS fleet over the mocked clients. */
const mockedFleet = () =>
  new RdsFleet(new RDSClient({ region: 'eu-west-1' }), new SecretsManagerClient({}));

/** A drill of `target` through the workflow definition, over a simulated RDS account. */
async function drill(script: SimulatedScript = {}, { refuseSnapshot = false } = {}) {
  const clock = new SimulatedClock();
  const account = new SimulatedRds(clock, script);
  account.install(rds);
  if (refuseSnapshot) {
    rds
      .on(CreateDBSnapshotCommand)
      .rejects(Object.assign(new Error('quota reached'), { name: 'SnapshotQuotaExceededFault' }));
  }
  const verifier = new FakeVerifier(passingChecks);
  const notifier = new RecordingNotifier();
  const fleet = mockedFleet();
  const run = await runWorkflow(
    { target },
    { fleet, verifier, notifier, clock },
    { waitMs: 0, retryMs: 0 },
  );
  const report = notifier.reports[0];
  return { run, account, verifier, report };
}

/** Every request that named the source: only the snapshot request may. */
function requestsNamingTheSource(): string[] {
  return rds
    .calls()
    .map((call) => call.args[0] as { constructor: { name: string }; input: object })
    .filter((command) => JSON.stringify(command.input).includes('"orders-prod"'))
    .map((command) => command.constructor.name);
}

describe('a drill of an RDS instance, on a simulated timeline', () => {
  beforeEach(() => {
    rds.reset();
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ username: 'drill', password: PASSWORD }),
    });
  });
  afterAll(() => {
    rds.restore();
    secrets.restore();
  });

  it('passes through creating, backing-up and available, verifies the copy, and leaves nothing', async () => {
    const { run, account, verifier, report } = await drill();

    expect(run.error).toBeUndefined();
    expect(report?.status).toBe('PASS');
    expect(report?.timings.restoreMs).toBeGreaterThanOrEqual(6 * 60_000);
    expect(verifier.connections[0]).toMatchObject({
      host: expect.stringMatching(/^drill-orders-.*\.rds\.amazonaws\.com$/),
      database: 'shop',
      user: 'drill',
      password: PASSWORD,
    });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(1);
    expect(rds.commandCalls(DeleteDBSnapshotCommand)).toHaveLength(1);
    expect(account.leftovers()).toEqual([]);
    expect(report?.checks.map((c) => `${c.status} ${c.name}`)).toEqual([
      'PASS connectivity',
      'PASS integrity',
      'PASS backup:retention',
      'PASS backup:restorable-lag',
      'PASS backup:automated-snapshot',
    ]);
    // Only reads and the snapshot request ever name the source.
    expect(new Set(requestsNamingTheSource())).toEqual(
      new Set([
        'CreateDBSnapshotCommand',
        'DescribeDBInstancesCommand',
        'DescribeDBSnapshotsCommand',
      ]),
    );
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
    expect(JSON.stringify({ output: run.output, report })).not.toContain(PASSWORD);
  });

  it('fails fast on incompatible-restore, with the status named, and still tears down', async () => {
    const { run, account, report } = await drill({
      restore: [
        ['creating', 4],
        ['incompatible-restore', Number.POSITIVE_INFINITY],
      ],
    });

    expect(report?.status).toBe('ERROR');
    expect(report?.failure).toMatchObject({
      step: 'CheckInstance',
      error: 'RestoreFailedError',
      message: expect.stringContaining('incompatible-restore'),
    });
    expect(run.error?.name).toBe('DrillErroredError');
    expect(account.leftovers()).toEqual([]);
  });

  it('gives up on a restore that outlasts its deadline, and deletes the copy once RDS lets it', async () => {
    const { account, report } = await drill({
      restore: [
        ['creating', 33],
        ['available', Number.POSITIVE_INFINITY],
      ],
    });

    expect(report?.failure).toMatchObject({ step: 'CheckInstance', error: 'RestoreTimeoutError' });
    expect(report?.teardown.status).toBe('DONE');
    expect(account.leftovers()).toEqual([]);
  });

  it('reports a copy deleted behind its back, and still deletes its own snapshot', async () => {
    const { account, report } = await drill({ copyVanishesAfter: 6.1 });

    expect(report?.status).toBe('ERROR');
    expect(report?.failure?.message).toMatch(/no longer exists/);
    expect(report?.teardown.deleted).toEqual([expect.stringMatching(/^snapshot drill-orders-/)]);
    expect(account.leftovers()).toEqual([]);
  });

  it('deletes nothing when the snapshot request is refused, and says what to do', async () => {
    const { account, report } = await drill({}, { refuseSnapshot: true });

    expect(report?.failure).toMatchObject({
      step: 'TakeSnapshot',
      message: expect.stringMatching(/manual DB snapshot quota/),
    });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBSnapshotCommand)).toHaveLength(0);
    expect(account.leftovers()).toEqual([]);
  });
});

describe('runRdsDrill, the CLI run against RDS', () => {
  beforeEach(() => {
    rds.reset();
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ username: 'drill', password: PASSWORD }),
    });
  });

  it('returns the report of a drill that ran to the end', async () => {
    const clock = new SimulatedClock();
    const account = new SimulatedRds(clock);
    account.install(rds);
    const fleet = mockedFleet();

    const verifier = new FakeVerifier(passingChecks);

    const report = await runRdsDrill(target, { fleet, verifier, clock, waitMs: 0 });

    expect(report.status).toBe('PASS');
    expect(verifier.connections[0]?.password).toBe(PASSWORD);
    expect(JSON.stringify(report)).not.toContain(PASSWORD);
    expect(account.leftovers()).toEqual([]);
  });

  it('tears down what an interrupted drill made, waiting for a copy still being created', async () => {
    const clock = new SimulatedClock();
    const account = new SimulatedRds(clock);
    account.install(rds);
    const fleet = mockedFleet();
    const interrupt = new AbortController();
    const said: string[] = [];

    const stopped = await runRdsDrill(target, {
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
      /^Teardown: deleted instance drill-orders-.* and snapshot drill-orders-/,
    );
    expect(account.leftovers()).toEqual([]);
  });
});
