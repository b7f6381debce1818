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
const heavy =
  /@electric-sql\/pglite|aws-local-stepfunctions|@aws-sdk\/|\/node_modules\/(pg|mysql2)\//;

const commandModules = [
  'run',
  'check',
  'suggest',
  'start',
  'status',
  'history',
  'config',
  'config-push',
  'config-show',
];
/** The modules of the CLI's commands that a process loaded. */
const commandsIn = (modules: string[]) =>
  commandModules.filter((name) => modules.some((m) => m.endsWith(`/src/cli/${name}.ts`)));

describe('what the CLI loads', () => {
  it.each([
    [['--help'], 0],
    [['--version'], 0],
    [['run', '--help'], 0],
    [['run', '--local', '--bogus'], 2],
    [['run', '--local', '--state-dir', ''], 2],
    [['drill'], 2],
    [['start', '--help'], 0],
    [['start'], 2],
    [['start', '--target', 'Orders!'], 2],
    [['status', 'not-an-arn'], 2],
    [['history', '--limit', '0'], 2],
    [['config', 'push', '--help'], 0],
    [['config', 'show', '--version', '1', '--versions'], 2],
    [['check', '--help'], 0],
    [['suggest', '--help'], 0],
    [['check', '--url', 'postgres://db/shop', '--bogus'], 2],
    [['check', '--url', 'mysql://db/shop?sslmode=require'], 2],
    [['check', '--url', 'postgres://db/shop?sslmode=maybe'], 2],
    [['suggest', '--url', 'postgres://db/shop', '--fraction', '7'], 2],
    [['suggest', '--url', 'mysql://db/shop?sslmode=require'], 2],
    [['suggest', '--url', 'mysql://db'], 2],
  ])(
    'loads no database engine, workflow interpreter, AWS client, pg or mysql2 for %j',
    (argv, exit) => {
      const { status, modules } = modulesLoadedBy(...argv);
      expect(status).toBe(exit);
      expect(modules.filter((m) => heavy.test(m))).toEqual([]);
    },
  );

  it.each([
    [['run', '--help'], ['run']],
    [['start', '--help'], ['start']],
    [['check', '--help'], ['check']],
    [['suggest', '--help'], ['suggest']],
    [['status', '--help'], ['status']],
    [['history', '--limit', '0'], ['history']],
    [
      ['config', 'push', '--help'],
      ['config', 'config-push'],
    ],
    [
      ['config', 'show', '--versions', '--version', 'x'],
      ['config', 'config-show'],
    ],
  ])('loads the module of the command %j names, and no other command', (argv, loaded) => {
    expect(commandsIn(modulesLoadedBy(...argv).modules)).toEqual(loaded);
  });

  it.each([
    ['--help'],
    ['run', '--help'],
    ['check', '--help'],
    ['suggest', '--help'],
    ['start', '--help'],
    ['config', 'push', '--help'],
  ])('prints %j without loading the configuration schema (zod)', (...argv) => {
    expect(modulesLoadedBy(...argv).modules.filter((m) => m.includes('/zod/'))).toEqual([]);
  });
});
