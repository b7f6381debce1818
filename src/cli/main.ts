import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type DrillConfig, parseConfig, type Target, targetSchema } from '#core/config.ts';
import { ConfigError } from '#core/errors.ts';
import { type DrillReport, renderText } from '#core/report.ts';
import { demoTarget, ensureDemoSource } from '#local/demo.ts';
import {
  defaultStateDir,
  type LocalDrill,
  removeLeftovers,
  runLocalDrill,
} from '#local/run-local.ts';
import { progressPrinter } from './progress.ts';

export const USAGE = `Usage: restore-drill run --local [options]
       restore-drill run --config FILE [--target NAME] [--json]

Runs a restore drill: snapshot a database, restore it to a throwaway copy, verify the copy,
tear it down and report the verdict. With --local, against an embedded PostgreSQL (PGlite);
without it, against the Amazon RDS instances the configuration names, from this machine, with
the AWS SDK's standard credentials, region and endpoint settings.

Options:
  --local            run on this machine, against an embedded PostgreSQL (PGlite)
  --config FILE      drill configuration (JSON); without it, a demo source is drilled (--local)
  --source-dir DIR   PGlite data directory to drill, instead of the configured source
  --target NAME      drill only this target of the configuration
  --json             print exactly one JSON report on stdout (an array for several targets)
  --keep             leave the restored copy running and print how to connect
  --state-dir DIR    where snapshots and restored copies live (default ./.restore-drill)
  -h, --help         show this help

Exit codes: 0 PASS, 1 FAIL (a check failed), 2 usage or configuration error,
            3 ERROR (the drill could not complete)`;

export const EXIT = { PASS: 0, FAIL: 1, USAGE: 2, ERROR: 3, INTERRUPTED: 130 } as const;

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
};

function parseCommandLine(argv: string[]) {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        local: { type: 'boolean', default: false },
        config: { type: 'string' },
        'source-dir': { type: 'string' },
        target: { type: 'string' },
        json: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        'state-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return parsed;
}

async function readConfigFile(path: string): Promise<DrillConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const config = parseConfig(json, `config file ${path}`);
  // Relative source paths are relative to the config file, wherever the command runs from.
  for (const target of config.targets) {
    const { source } = target;
    if ('dataDir' in source) source.dataDir = resolve(dirname(path), source.dataDir);
  }
  return config;
}

/** The targets of a config file, or only the one `--target` names. */
async function configuredTargets(file: string, only: string | undefined): Promise<Target[]> {
  const { targets } = await readConfigFile(resolve(file));
  if (only === undefined) return targets;
  const chosen = targets.filter((t) => t.name === only);
  if (!chosen.length) throw new ConfigError(`no target named "${only}" in ${file}`);
  return chosen;
}

/**
 * Every target suits the backend the run uses: checked with the rest of the file, so a mixed
 * file fails before anything runs.
 */
function requireBackend(targets: Target[], local: boolean): void {
  for (const { name, source, recoveryPoint } of targets) {
    if (local && !('dataDir' in source)) {
      throw new ConfigError(
        `target ${name} has an Amazon RDS source (${JSON.stringify(source)}); run --local drills PGlite data directories only: run it without --local`,
      );
    }
    if (!local && 'dataDir' in source) {
      throw new ConfigError(`target ${name} is a local PGlite directory: drill it with --local`);
    }
    if ('cluster' in source) {
      throw new ConfigError(
        `target ${name} is an Aurora cluster: this build drills RDS DB instances only`,
      );
    }
    if (recoveryPoint.mode !== 'new-snapshot') {
      throw new ConfigError(
        `target ${name}: recoveryPoint.mode ${recoveryPoint.mode} is not supported by this build yet; use new-snapshot`,
      );
    }
  }
}

/** The targets to drill, from the config file, the flags, or the demo. */
async function chooseTargets(
  values: ReturnType<typeof parseCommandLine>['values'],
  stateDir: string,
  io: Io,
): Promise<Target[]> {
  const sourceDir = values['source-dir'] === undefined ? undefined : resolve(values['source-dir']);
  if (values.config !== undefined) {
    const targets = await configuredTargets(values.config, values.target);
    if (sourceDir) {
      const [only, ...more] = targets;
      if (!only || more.length) {
        throw new ConfigError(
          '--source-dir replaces the source of a single target: choose one with --target',
        );
      }
      only.source = { dataDir: sourceDir };
    }
    return targets;
  }
  if (values.target !== undefined) throw new ConfigError('--target needs --config');
  if (sourceDir) {
    return [
      targetSchema.parse({ name: 'local', engine: 'postgres', source: { dataDir: sourceDir } }),
    ];
  }
  const demoDir = resolve(stateDir, 'demo-source');
  io.stderr(`Preparing the demo source in ${demoDir} ...`);
  const { created } = await ensureDemoSource(demoDir);
  io.stderr(
    created
      ? '  created and seeded (first run only)'
      : '  a few new orders written since the last drill',
  );
  return [demoTarget(demoDir)];
}

const exitFor = (report: DrillReport) => EXIT[report.status];

/** How to reach a copy kept with --keep. */
function connectHint(report: DrillReport): string {
  const endpoint = report.copy?.endpoint ?? '';
  const [host, port] = endpoint.split(':');
  return [
    `The restored copy ${report.copy?.id} is still running at ${endpoint}:`,
    `  psql "postgres://postgres@${host}:${port}/${report.database}?sslmode=disable"`,
    'Press Ctrl-C to stop it and remove its files.',
  ].join('\n');
}

function untilSignal(): Promise<void> {
  return new Promise((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
}

/** `run` without `--local`: drills the configured Amazon RDS targets from this machine. */
async function runAgainstRds(
  values: ReturnType<typeof parseCommandLine>['values'],
  io: Io,
): Promise<number> {
  if (values.config === undefined) {
    throw new ConfigError(
      'run needs --config FILE naming Amazon RDS targets, or --local for a drill on this machine',
    );
  }
  for (const flag of ['source-dir', 'state-dir', 'keep'] as const) {
    if (values[flag]) throw new ConfigError(`--${flag} is for local runs only (--local)`);
  }
  const targets = await configuredTargets(values.config, values.target);
  requireBackend(targets, false);
  // Loaded only now: help and usage errors never pay for the AWS SDK.
  const { runRdsDrill } = await import('#local/run-rds.ts');
  const interrupt = new AbortController();
  const onSignal = () => {
    io.stderr('Interrupted: tearing down what the drill made before exiting ...');
    interrupt.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const reports: DrillReport[] = [];
  let stoppedBeforeReporting = false;
  try {
    for (const [i, target] of targets.entries()) {
      const of = targets.length > 1 ? ` (${i + 1} of ${targets.length})` : '';
      io.stderr(`Restore drill of ${target.name}${of} on Amazon RDS`);
      try {
        const report = await runRdsDrill(target, {
          onEvent: progressPrinter(io.stderr),
          signal: interrupt.signal,
          say: io.stderr,
        });
        reports.push(report);
        if (!values.json) io.stdout(`${renderText(report)}\n`);
      } catch (error) {
        io.stderr(`restore-drill: ${(error as Error).message}`);
        stoppedBeforeReporting = true;
      }
      if (interrupt.signal.aborted) return EXIT.INTERRUPTED;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (values.json && reports.length) {
    io.stdout(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  }
  return Math.max(stoppedBeforeReporting ? EXIT.ERROR : EXIT.PASS, ...reports.map(exitFor));
}

/** Runs the CLI and returns its exit code; never throws. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(argv);
    if (values.help) {
      io.stdout(USAGE);
      return EXIT.PASS;
    }
    const [command, ...extra] = positionals;
    if (command !== 'run' || extra.length) {
      throw new ConfigError(
        command ? `unknown command "${[command, ...extra].join(' ')}"` : 'missing command',
      );
    }
    for (const flag of ['config', 'source-dir', 'target', 'state-dir'] as const) {
      // An empty value would read as "not given" and quietly drill something else.
      if (values[flag] === '') throw new ConfigError(`--${flag} needs a value`);
    }
    if (!values.local) return await runAgainstRds(values, io);
    const stateDir = resolve(values['state-dir'] ?? defaultStateDir());
    if (existsSync(stateDir) && !statSync(stateDir).isDirectory()) {
      throw new ConfigError(`--state-dir ${stateDir} is not a directory`);
    }
    const targets = await chooseTargets(values, stateDir, io);
    requireBackend(targets, true);

    for (const removed of await removeLeftovers(stateDir))
      io.stderr(`Removed ${removed}, left by a drill that was interrupted`);

    const interrupt = new AbortController();
    const onSignal = () => interrupt.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const drills: LocalDrill[] = [];
    let stoppedBeforeReporting = false;
    try {
      for (const [i, target] of targets.entries()) {
        const of = targets.length > 1 ? ` (${i + 1} of ${targets.length})` : '';
        io.stderr(`Restore drill of ${target.name}${of}`);
        try {
          const drill = await runLocalDrill(target, {
            stateDir,
            keep: values.keep,
            onEvent: progressPrinter(io.stderr),
            signal: interrupt.signal,
          });
          drills.push(drill);
          if (!values.json) io.stdout(`${renderText(drill.report)}\n`);
        } catch (error) {
          if (interrupt.signal.aborted) break;
          // Reported, and the other targets still run: one broken drill must not hide the rest.
          io.stderr(`restore-drill: ${(error as Error).message}`);
          stoppedBeforeReporting = true;
        }
        if (interrupt.signal.aborted) break;
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const kept = drills.filter((d) => d.report.teardown.status === 'KEPT');
    if (interrupt.signal.aborted) {
      for (const d of kept) await d.release();
      io.stderr('Interrupted: everything the drill created has been removed.');
      return EXIT.INTERRUPTED;
    }

    const reports = drills.map((d) => d.report);
    if (values.json && reports.length) {
      io.stdout(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
    }
    if (kept.length) {
      for (const d of kept) io.stderr(connectHint(d.report));
      await untilSignal();
      for (const d of kept) await d.release();
      io.stderr('Stopped the restored copy and removed its files.');
    }
    return Math.max(stoppedBeforeReporting ? EXIT.ERROR : EXIT.PASS, ...reports.map(exitFor));
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`restore-drill: ${error.message}`);
      io.stderr('Run "restore-drill --help" for usage.');
      return EXIT.USAGE;
    }
    io.stderr(`restore-drill: ${(error as Error).message}`);
    return EXIT.ERROR;
  }
}
