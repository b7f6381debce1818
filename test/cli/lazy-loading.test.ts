import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = new URL('../../bin/restore-drill.js', import.meta.url).pathname;
const recorder = new URL('./record-loads.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'restore-drill-loads-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the CLI as a process and returns the modules it loaded. */
function modulesLoadedBy(...argv: string[]): { status: number | null; modules: string[] } {
  const file = join(work, `${argv.join('_').replace(/\W/g, '') || 'none'}.txt`);
  const { status } = spawnSync(process.execPath, ['--import', recorder, bin, ...argv], {
    env: { ...process.env, RESTORE_DRILL_LOADS_FILE: file },
    stdio: 'ignore',
  });
  return { status, modules: readFileSync(file, 'utf8').split('\n') };
}

/** What a command line that only prints help or refuses a flag must never pay for. */
const heavy = /@electric-sql\/pglite|aws-local-stepfunctions|@aws-sdk\/|\/node_modules\/pg\/|zod/;

describe('what the CLI loads', () => {
  it.each([
    [['--help'], 0],
    [['--version'], 0],
    [['run', '--help'], 0],
    [['run', '--local', '--bogus'], 2],
    [['run', '--local', '--state-dir', ''], 2],
    [['drill'], 2],
  ])('loads no database engine, workflow interpreter, AWS client or zod for %j', (argv, exit) => {
    const { status, modules } = modulesLoadedBy(...argv);
    expect(status).toBe(exit);
    expect(modules.filter((m) => heavy.test(m))).toEqual([]);
  });
});
