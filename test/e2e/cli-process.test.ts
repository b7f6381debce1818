import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillReport } from '#core/report.ts';
import { expectNothingLeft, makeSource, ordersSql, scratch } from './sources.ts';

const bin = new URL('../../bin/restore-drill.js', import.meta.url).pathname;
let work: Awaited<ReturnType<typeof scratch>>;
let source: string;

beforeAll(async () => {
  work = await scratch();
  source = await makeSource(join(work.dir, 'source'), ordersSql());
});
afterAll(() => work.remove());

describe('restore-drill as a process', () => {
  it('prints its help as plain text, even to a terminal-less pipe with colours allowed', () => {
    const { CI, TEST, NO_COLOR, TERM, ...env } = process.env;
    const { status, stdout } = spawnSync(process.execPath, [bin, 'run', '--help'], {
      env: { ...env, FORCE_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(status).toBe(0);
    expect(stdout).toContain('--state-dir=<DIR>');
    expect(stdout).not.toContain(String.fromCharCode(27));
  });

  it('with --keep, serves the restored copy until interrupted, then removes it', async () => {
    const stateDir = join(work.dir, 'state');
    const child = spawn(
      process.execPath,
      [bin, 'run', '--local', '--source-dir', source, '--state-dir', stateDir, '--json', '--keep'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    const endpoint = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const found = /still running at (127\.0\.0\.1:\d+)/.exec(stderr);
        if (found?.[1]) resolve(found[1]);
      });
      child.on('exit', () => reject(new Error(`exited early:\n${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    const [host, port] = endpoint.split(':');
    const client = new pg.Client({
      host,
      port: Number(port),
      user: 'postgres',
      database: 'postgres',
    });
    await client.connect();
    const { rows } = await client.query('select count(*)::int as n from orders');
    await client.end();
    expect(rows[0].n).toBe(2000);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const report = JSON.parse(stdout) as DrillReport;
    expect(report.status).toBe('PASS');
    expect(report.teardown.status).toBe('KEPT');
    expect(stderr).toContain('Stopped the restored copy and removed its files.');
    await expectNothingLeft(stateDir);
  });

  it.each(['TakeSnapshot ...', 'CheckSnapshot ...', 'RestoreInstance ...', 'CheckInstance ...'])(
    'removes what the drill made when interrupted at "%s", and exits 130',
    async (line) => {
      const stateDir = join(work.dir, `interrupted-${line.split(' ')[0]}`);
      const child = spawn(
        process.execPath,
        [bin, 'run', '--local', '--source-dir', source, '--state-dir', stateDir],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes(line) && child.signalCode === null && !child.killed) {
          child.kill('SIGINT');
        }
      });
      expect(await exited).toBe(130);
      expect(stderr).toContain('Interrupted: everything the drill created has been removed.');
      await expectNothingLeft(stateDir);
    },
  );
});

/** A port on 127.0.0.1 that nothing listens on: taken from the system, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** A configuration of one Amazon RDS target, for `run` without --local. */
const rdsConfig = join(mkdtempSync(join(tmpdir(), 'restore-drill-rds-')), 'rds.json');
writeFileSync(
  rdsConfig,
  JSON.stringify({
    targets: [{ name: 'orders', engine: 'postgres', source: { instance: 'orders-prod' } }],
  }),
);

describe('restore-drill against AWS it cannot use, as a process', () => {
  /** This machine's environment without any AWS setting, so each case sets its own. */
  const withoutAws = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')),
  );
  const keys = {
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI',
  };
  const noCredentials = {
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const executionArn =
    'arn:aws:states:eu-west-1:123456789012:execution:restore-drill:orders-20260301t030000-a1b2c3';

  it.each([
    [
      'an endpoint nobody listens on (history, through CloudFormation)',
      ['history'],
      async () => ({
        ...keys,
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}`,
      }),
      /^restore-drill: cannot reach the AWS endpoint 127\.0\.0\.1:\d+ \(ECONNREFUSED\): check AWS_REGION, and AWS_ENDPOINT_URL if it is set$/,
    ],
    [
      'no credentials anywhere (status)',
      ['status', executionArn],
      async () => ({ ...noCredentials, AWS_REGION: 'eu-west-1' }),
      /^restore-drill: no usable AWS credentials \(Could not load credentials from any providers\): set AWS_PROFILE/,
    ],
    [
      'an endpoint nobody listens on (run against RDS, before any drill starts)',
      ['run', '--config', rdsConfig],
      async () => ({
        ...keys,
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}`,
      }),
      /^restore-drill: cannot reach the AWS endpoint 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    ],
    [
      'no credentials anywhere (run against RDS)',
      ['run', '--config', rdsConfig],
      async () => ({ ...noCredentials, AWS_REGION: 'eu-west-1' }),
      /^restore-drill: no usable AWS credentials/,
    ],
    [
      'no region (history)',
      ['history', '--limit', '3'],
      async () => ({ ...keys, ...noCredentials }),
      /^restore-drill: no AWS region is set: set AWS_REGION/,
    ],
  ])('says %s in one line, exits 3, and answers in seconds', async (_, argv, settings, message) => {
    const started = Date.now();
    const { status, stdout, stderr } = spawnSync(process.execPath, [bin, ...argv], {
      env: { ...withoutAws, ...(await settings()) },
      encoding: 'utf8',
      timeout: 20_000,
    });
    const elapsed = Date.now() - started;
    expect(status).toBe(3);
    expect(stdout).toBe('');
    expect(stderr.endsWith('\n')).toBe(true);
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(elapsed).toBeLessThan(5000);
  });
});
