import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildInputs, buildCli, CLI_ENTRIES } from '../../scripts/build-cli.ts';

const root = new URL('../..', import.meta.url).pathname;
const recorder = new URL('./record-loads.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'restore-drill-loads-'));

/**
 * A project of its own for the bin: its sources, packages and workflow are the real ones
 * (linked), its bin a copy, and its bundle built here; so the bundle these tests load is built
 * from the sources as they are now, whatever the project's own dist/cli holds.
 */
const project = join(work, 'project');
const bin = join(project, 'bin', 'restore-drill.js');
const inputsFile = join(project, 'dist', 'cli', 'inputs.json');
let inputs: BuildInputs;

beforeAll(async () => {
  mkdirSync(join(project, 'bin'), { recursive: true });
  copyFileSync(join(root, 'bin', 'restore-drill.js'), bin);
  for (const linked of ['package.json', 'src', 'functions', 'statemachine', 'node_modules'])
    symlinkSync(join(root, linked), join(project, linked));
  await buildCli(join(project, 'dist', 'cli'));
  inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Mode = 'bundle' | 'sources';
const modeEnv: Record<Mode, Record<string, string>> = {
  bundle: {},
  sources: { RESTORE_DRILL_FROM_SOURCES: '1' },
};

/** Runs the CLI as a process and returns the modules it loaded. */
function modulesLoadedBy(
  mode: Mode,
  ...argv: string[]
): { status: number | null; modules: string[] } {
  const file = join(work, `${mode}-${argv.join('_').replace(/\W/g, '') || 'none'}.txt`);
  const { RESTORE_DRILL_FROM_SOURCES, ...env } = process.env;
  const { status } = spawnSync(process.execPath, ['--import', recorder, bin, ...argv], {
    env: { ...env, ...modeEnv[mode], RESTORE_DRILL_LOADS_FILE: file },
    stdio: 'ignore',
  });
  return { status, modules: readFileSync(file, 'utf8').split('\n') };
}

/** Where the process took the CLI from. */
const entryOf = (modules: string[]) => {
  const bundle = modules.some((m) => m.endsWith('/dist/cli/main.mjs'));
  const sources = modules.some((m) => /\/src\/.*\.ts$/.test(m));
  return bundle && !sources ? 'bundle' : sources && !bundle ? 'sources' : 'both';
};

/** What a command line that only prints help or refuses a flag must never pay for. */
const heavy =
  /@electric-sql\/pglite|aws-local-stepfunctions|@aws-sdk\/|\/node_modules\/(pg|mysql2)\//;

const commandModules = CLI_ENTRIES.filter((name) => name !== 'main');
/** The modules of the CLI's commands that a process loaded, from the sources or the bundle. */
const commandsIn = (modules: string[]) =>
  commandModules.filter((name) =>
    modules.some((m) => m.endsWith(`/src/cli/${name}.ts`) || m.endsWith(`/dist/cli/${name}.mjs`)),
  );

describe.each(['bundle', 'sources'] as const)('what the CLI loads, from the %s', (mode) => {
  it(`runs the CLI from the ${mode}`, () => {
    expect(entryOf(modulesLoadedBy(mode, '--version').modules)).toBe(mode);
  });

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
    [['status', '--help'], 0],
    [['status'], 2],
    [['status', 'not-an-arn'], 2],
    [['history', '--help'], 0],
    [['history', '--limit', '0'], 2],
    [['history', '--bogus'], 2],
    [['config', '--help'], 0],
    [['config'], 2],
    [['config', 'push', '--help'], 0],
    [['config', 'push'], 2],
    [['config', 'show', '--help'], 0],
    [['config', 'show', '--version', '1', '--versions'], 2],
    [['check', '--help'], 0],
    [['check'], 2],
    [['suggest', '--help'], 0],
    [['suggest'], 2],
    [['check', '--url', 'postgres://db/shop', '--bogus'], 2],
    [['check', '--url', 'mysql://db/shop?sslmode=require'], 2],
    [['check', '--url', 'postgres://db/shop?sslmode=maybe'], 2],
    [['suggest', '--url', 'postgres://db/shop', '--fraction', '7'], 2],
    [['suggest', '--url', 'mysql://db/shop?sslmode=require'], 2],
    [['suggest', '--url', 'mysql://db'], 2],
  ])(
    'loads no database engine, workflow interpreter, AWS client, pg or mysql2 for %j',
    (argv, exit) => {
      const { status, modules } = modulesLoadedBy(mode, ...argv);
      expect(status).toBe(exit);
      expect(modules.filter((m) => heavy.test(m))).toEqual([]);
    },
  );

  it.each([
    [['--version'], []],
    [['run', '--help'], ['run']],
    [['run', '--local', '--bogus'], ['run']],
    [['start', '--help'], ['start']],
    [['start'], ['start']],
    [['check', '--help'], ['check']],
    [['suggest', '--help'], ['suggest']],
    [['status', '--help'], ['status']],
    [['history', '--help'], ['history']],
    [['history', '--limit', '0'], ['history']],
    // A group's help lists its commands, and so loads them.
    [
      ['config', '--help'],
      ['config', 'config-push', 'config-show'],
    ],
    [
      ['config', 'push', '--help'],
      ['config', 'config-push'],
    ],
    [
      ['config', 'show', '--help'],
      ['config', 'config-show'],
    ],
    [
      ['config', 'show', '--versions', '--version', 'x'],
      ['config', 'config-show'],
    ],
  ])('loads the module of the command %j names, and no other command', (argv, loaded) => {
    expect(commandsIn(modulesLoadedBy(mode, ...argv).modules)).toEqual(loaded);
  });

  it.each([
    [['--help']],
    [['run', '--help']],
    [['check', '--help']],
    [['suggest', '--help']],
    [['start', '--help']],
    [['status', '--help']],
    [['history', '--help']],
    [['config', 'push', '--help']],
    [['config', 'show', '--help']],
  ])('prints %j without loading the configuration schema (zod)', (argv) => {
    expect(modulesLoadedBy(mode, ...argv).modules.filter((m) => m.includes('/zod/'))).toEqual([]);
  });

  it.each([[['--version']], [['run', '--local', '--bogus']], [['start']]])(
    'answers %j without loading the CLI library (citty)',
    (argv) => {
      expect(modulesLoadedBy(mode, ...argv).modules.filter((m) => m.includes('/citty/'))).toEqual(
        [],
      );
    },
  );
});

describe('the bundle, once a source changes', () => {
  const rewriteInputs = (change: (recorded: BuildInputs['inputs']) => void) => {
    const recorded = structuredClone(inputs.inputs);
    change(recorded);
    writeFileSync(inputsFile, JSON.stringify({ inputs: recorded }));
  };
  afterAll(() => writeFileSync(inputsFile, JSON.stringify(inputs)));

  it('lists every source it was built from, with its modification time', () => {
    expect(Object.keys(inputs.inputs)).toEqual(
      expect.arrayContaining([
        'package.json',
        'src/cli/main.ts',
        'src/cli/run.ts',
        'src/cli/config-show.ts',
        'src/core/errors.ts',
        'src/local/workflow.ts',
      ]),
    );
    expect(Object.values(inputs.inputs).every((mtime) => mtime > 0)).toBe(true);
  });

  it('is set aside for the sources when a source has another modification time', () => {
    rewriteInputs((recorded) => {
      recorded['src/core/report.ts'] = (recorded['src/core/report.ts'] ?? 0) - 1000;
    });
    expect(entryOf(modulesLoadedBy('bundle', '--version').modules)).toBe('sources');
  });

  it('is set aside for the sources when a source it names is gone', () => {
    rewriteInputs((recorded) => {
      recorded['src/cli/gone.ts'] = 1;
    });
    expect(entryOf(modulesLoadedBy('bundle', '--version').modules)).toBe('sources');
  });

  it('is used again once its list matches the sources', () => {
    rewriteInputs(() => {});
    expect(entryOf(modulesLoadedBy('bundle', '--version').modules)).toBe('bundle');
  });
});
