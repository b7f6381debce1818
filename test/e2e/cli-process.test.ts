import { spawn, spawnSync } from 'node:child_process';
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
