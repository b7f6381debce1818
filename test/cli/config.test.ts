import 'aws-sdk-client-mock-vitest/extend';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli, stackOutputs } from './deployed.ts';

const s3 = mockClient(S3Client);
const cfn = mockClient(CloudFormationClient);
afterAll(() => {
  s3.restore();
  cfn.restore();
});

const BUCKET = 'restore-drill-config-a1b2c3';
const KEY = 'restore-drill/config.json';
const dir = join(tmpdir(), `restore-drill-config-test-${process.pid}`);

/** A configuration as someone writes it: two RDS targets, defaults left out, their own layout. */
const configText = `{
  "targets": [
    { "name": "orders", "engine": "postgres", "source": { "instance": "orders-prod" } },
    { "name": "billing", "engine": "postgres", "source": { "instance": "billing-prod" },
      "checks": { "tables": { "invoices": { "minRows": 100 } } } }
  ]
}
`;

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

beforeAll(() => mkdir(dir, { recursive: true }));
afterAll(() => rm(dir, { recursive: true, force: true }));

beforeEach(() => {
  s3.reset();
  cfn.reset();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'restore-drill',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: stackOutputs,
      },
    ],
  });
  s3.on(PutObjectCommand).resolves({ VersionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' });
});

describe('restore-drill config push', () => {
  it("validates the file and stores it exactly as written where the stack's outputs say", async () => {
    const path = await file('drills.json', configText);

    const { code, stdout } = await cli('config', 'push', path);

    expect(code).toBe(0);
    expect(cfn.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: 'restore-drill',
    });
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: KEY,
      Body: configText,
      ContentType: 'application/json',
    });
    expect(stdout).toBe(
      `Stored 2 targets (orders, billing) in bucket ${BUCKET}, key ${KEY}, version 3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY`,
    );
  });

  it('stores into --bucket and --key without asking CloudFormation', async () => {
    const path = await file('one.json', configText);
    const { code } = await cli(
      'config',
      'push',
      path,
      '--bucket',
      'my-drills',
      '--key',
      'eu/config.json',
    );
    expect(code).toBe(0);
    expect(cfn).not.toHaveReceivedAnyCommand();
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'my-drills',
      Key: 'eu/config.json',
    });
  });

  it('uses the default key with --bucket alone, and says when the bucket keeps no versions', async () => {
    s3.on(PutObjectCommand).resolves({});
    const path = await file('unversioned.json', configText);
    const { stdout } = await cli('config', 'push', path, '--bucket', 'my-drills');
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'my-drills', Key: KEY });
    expect(stdout).toMatch(/, version none: versioning is off on the bucket$/);
  });

  it('refuses an invalid file naming every bad field, and sends nothing', async () => {
    const path = await file(
      'bad.json',
      JSON.stringify({
        targets: [
          { name: 'Orders!', engine: 'mysql', source: { instance: 'orders-prod' } },
          {
            name: 'billing',
            engine: 'postgres',
            source: {},
            checks: { sql: [{ name: 'x', query: 'select 1', expect: {} }] },
          },
        ],
      }),
    );
    const { code, stdout, stderr } = await cli('config', 'push', path);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('targets[0].name');
    expect(stderr).toContain('targets[0].database: a mysql target names the database');
    expect(stderr).toContain('targets[1].source: must be one of');
    expect(stderr).toContain(
      'targets[1].checks.sql[0].expect: needs at least one of equals, min, max',
    );
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(s3).not.toHaveReceivedAnyCommand();
    expect(cfn).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['not JSON', '{ "targets": [', /is not valid JSON/],
    [
      'a local target',
      JSON.stringify({
        targets: [{ name: 'local', engine: 'postgres', source: { dataDir: './pg' } }],
      }),
      /target local is a local PGlite directory, which a deployed drill cannot reach/,
    ],
  ])('refuses %s, and sends nothing', async (_, text, message) => {
    const path = await file('refused.json', text);
    const { code, stderr } = await cli('config', 'push', path);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(s3).not.toHaveReceivedAnyCommand();
  });

  it.each([
    [['config', 'push'], 'config push needs FILE'],
    [
      ['config', 'push', '/no/such/drills.json'],
      'cannot read config file /no/such/drills.json: ENOENT',
    ],
    [['config', 'push', '/no/such/drills.json', '--key', 'k'], '--key goes with --bucket'],
  ])('exits 2 for %j', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]?.replace('restore-drill: ', '')).toMatch(message);
  });

  it('refuses --key without --bucket, and --stack with --bucket, before sending anything', async () => {
    const path = await file('flags.json', configText);
    expect((await cli('config', 'push', path, '--key', 'k')).stderr).toMatch(
      /--key goes with --bucket/,
    );
    expect((await cli('config', 'push', path, '--bucket', 'b', '--stack', 's')).stderr).toMatch(
      /give --stack or --bucket, not both/,
    );
    expect(s3).not.toHaveReceivedAnyCommand();
  });
});

describe('restore-drill config show', () => {
  const stored = (text: string, VersionId = 'v2') => ({
    Body: { transformToString: async () => text } as never,
    VersionId,
    LastModified: new Date('2026-03-01T12:00:00Z'),
  });

  it('prints the current configuration as stored, and its version on stderr', async () => {
    s3.on(GetObjectCommand).resolves(stored(configText));
    const { code, stdout, stderr } = await cli('config', 'show');
    expect(code).toBe(0);
    expect(`${stdout}\n`).toBe(configText);
    expect(stderr).toBe(`s3://${BUCKET}/${KEY}, version v2, stored 2026-03-01T12:00:00.000Z`);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: KEY,
    });
  });

  it('prints the version --version names', async () => {
    s3.on(GetObjectCommand).resolves(stored(configText, 'v1'));
    await cli('config', 'show', '--version', 'v1', '--bucket', 'my-drills');
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'my-drills',
      Key: KEY,
      VersionId: 'v1',
    });
  });

  it('lists the versions newest first, paging, and only of the configuration key', async () => {
    const version = (Key: string, VersionId: string, day: number, IsLatest = false) => ({
      Key,
      VersionId,
      IsLatest,
      Size: 250,
      LastModified: new Date(`2026-03-0${day}T12:00:00Z`),
    });
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [version(KEY, 'v3', 3, true), version(KEY, 'v2', 2)],
        IsTruncated: true,
        NextKeyMarker: KEY,
        NextVersionIdMarker: 'v2',
      })
      .resolvesOnce({
        Versions: [version(KEY, 'v1', 1), version(`${KEY}.bak`, 'b1', 1, true)],
        IsTruncated: false,
      });

    const { code, stdout } = await cli('config', 'show', '--versions');

    expect(code).toBe(0);
    expect(stdout.split('\n')).toEqual([
      '2026-03-03T12:00:00.000Z  v3  (current)',
      '2026-03-02T12:00:00.000Z  v2',
      '2026-03-01T12:00:00.000Z  v1',
    ]);
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: BUCKET, Prefix: KEY },
      { Bucket: BUCKET, Prefix: KEY, KeyMarker: KEY, VersionIdMarker: 'v2' },
    ]);
  });

  it.each([
    ['NoSuchKey', `no configuration at s3://${BUCKET}/${KEY} yet: push one first`],
    ['NoSuchBucket', `bucket ${BUCKET} does not exist`],
    ['NoSuchVersion', `s3://${BUCKET}/${KEY} has no such version`],
  ])('says %s in one line and exits 3', async (name, message) => {
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({ name, $fault: 'client', $metadata: {}, message: name }),
    );
    const { code, stderr } = await cli('config', 'show');
    expect(code).toBe(3);
    expect(stderr).toBe(`restore-drill: ${message}`);
  });

  it('exits 3 naming the output a stack without a config bucket lacks', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'restore-drill',
          StackStatus: 'UPDATE_ROLLBACK_COMPLETE',
          CreationTime: new Date(),
          Outputs: stackOutputs.filter((o) => o.OutputKey === 'StateMachineArn'),
        },
      ],
    });
    const { code, stderr } = await cli('config', 'show');
    expect(code).toBe(3);
    expect(stderr).toBe(
      'restore-drill: stack restore-drill (UPDATE_ROLLBACK_COMPLETE) has no output ConfigBucket: is it a restore-drill stack, deployed from template.yaml?',
    );
    expect(s3).not.toHaveReceivedAnyCommand();
  });

  it('refuses --version with --versions', async () => {
    const { code, stderr } = await cli('config', 'show', '--versions', '--version', 'v1');
    expect(code).toBe(2);
    expect(stderr).toMatch(/give --version ID or --versions, not both/);
  });
});
