import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ParsedArgs } from 'citty';
import type { Target } from '#core/config.ts';
import { ConfigError } from '#core/errors.ts';
import { type DrillReport, renderText } from '#core/report.ts';
import type { EventLog } from '#local/workflow.ts';
import { defineCliCommand, EXIT, type Io } from './command.ts';

const args = {
  local: {
    type: 'boolean',
    description: 'run on this machine, against an embedded PostgreSQL (PGlite)',
  },
  config: {
    type: 'string',
    valueHint: 'FILE',
    description: 'drill configuration (JSON); without it, a demo source is drilled (--local)',
  },
  'source-dir': {
    type: 'string',
    valueHint: 'DIR',
    description: 'PGlite data directory to drill, instead of the configured source',
  },
  target: {
    type: 'string',
    valueHint: 'NAME',
    description: 'drill only this target of the configuration',
  },
  json: {
    type: 'boolean',
    description: 'print exactly one JSON report on stdout (an array for several targets)',
  },
  keep: {
    type: 'boolean',
    description: 'leave the restored copy running and print how to connect',
  },
  suggest: {
    type: 'boolean',
    description: 'also propose checks from the restored copy, as suggest does, before it goes',
  },
  'state-dir': {
    type: 'string',
    valueHint: 'DIR',
    description: 'where snapshots and restored copies live (default ./.restore-drill)',
  },
} as const;

type RunFlags = ParsedArgs<typeof args>;

export default defineCliCommand({
  meta: {
    name: 'run',
    description: 'Run a restore drill now, from this machine',
  },
  args,
  notes: `Runs a restore drill: snapshot a database, restore it to a throwaway copy, verify the copy,
tear it down and report the verdict. With --local, against an embedded PostgreSQL (PGlite);
without it, against the Amazon RDS instances the configuration names, from this machine, with
the AWS SDK's standard credentials, region and endpoint settings.

  restore-drill run --local [--config FILE] [--source-dir DIR] [--target NAME] [--keep]
  restore-drill run --config FILE [--target NAME] [--json] [--suggest]

With --suggest, the restored copy's catalog is read once it is verified, and a "checks" object
for the target is printed after the report (with --json, as the report's "suggestion"): the
largest tables with row floors and freshness limits, as restore-drill suggest proposes them.

Exit codes: 0 PASS, 1 FAIL (a check failed), 2 usage or configuration error,
            3 ERROR (the drill could not complete), 130 interrupted (Ctrl-C);
            with several targets the highest code wins.`,
  run: (flags, io) => (flags.local ? runLocal(flags, io) : runAgainstRds(flags, io)),
});

/** One finished drill; `release` removes a copy kept with --keep. */
interface Drilled {
  report: DrillReport;
  release?: () => Promise<void>;
}

/** Where drills run: on this machine or on Amazon RDS. Both go through the same loop. */
interface Backend {
  /** Said after the target's name as each drill begins. */
  where: string;
  drill(
    target: Target,
    hooks: { onEvent: (event: EventLog) => void; signal: AbortSignal },
  ): Promise<Drilled>;
  /** Said when Ctrl-C arrives, before the drill under way is stopped. */
  onInterrupt?: string;
  /** Said once an interrupted run has cleaned up. */
  afterInterrupt?: string;
}

async function runLocal(flags: RunFlags, io: Io): Promise<number> {
  const { defaultStateDir, removeLeftovers, runLocalDrill } = await import('#local/run-local.ts');
  const stateDir = resolve(flags['state-dir'] ?? defaultStateDir());
  if (existsSync(stateDir) && !statSync(stateDir).isDirectory()) {
    throw new ConfigError(`--state-dir ${stateDir} is not a directory`);
  }
  const targets = await chooseLocalTargets(flags, stateDir, io);
  const { requireBackend } = await import('./config-file.ts');
  requireBackend(targets, true);

  for (const removed of await removeLeftovers(stateDir))
    io.stderr(`Removed ${removed}, left by a drill that was interrupted`);

  return drillEach(targets, flags, io, {
    where: '',
    drill: (target, hooks) =>
      runLocalDrill(target, { stateDir, keep: flags.keep, suggest: flags.suggest, ...hooks }),
    afterInterrupt: 'Interrupted: everything the drill created has been removed.',
  });
}

/** `run` without `--local`: drills the configured Amazon RDS targets from this machine. */
async function runAgainstRds(flags: RunFlags, io: Io): Promise<number> {
  if (flags.config === undefined) {
    throw new ConfigError(
      'run needs --config FILE naming Amazon RDS targets, or --local for a drill on this machine',
    );
  }
  for (const flag of ['source-dir', 'state-dir', 'keep'] as const) {
    if (flags[flag]) throw new ConfigError(`--${flag} is for local runs only (--local)`);
  }
  const { configuredTargets, requireBackend } = await import('./config-file.ts');
  const targets = await configuredTargets(flags.config, flags.target);
  requireBackend(targets, false);
  // Loaded only now: help and usage errors never pay for the AWS SDK.
  const { checkSources, runRdsDrill } = await import('#local/run-rds.ts');
  await checkSources(targets);
  return drillEach(targets, flags, io, {
    where: ' on Amazon RDS',
    drill: async (target, hooks) => ({
      report: await runRdsDrill(target, { ...hooks, say: io.stderr, suggest: flags.suggest }),
    }),
    onInterrupt: 'Interrupted: tearing down what the drill made before exiting ...',
  });
}

/** The targets to drill locally, from the config file, --source-dir, or the demo. */
async function chooseLocalTargets(flags: RunFlags, stateDir: string, io: Io): Promise<Target[]> {
  const sourceDir = flags['source-dir'] === undefined ? undefined : resolve(flags['source-dir']);
  if (flags.config !== undefined) {
    const { configuredTargets } = await import('./config-file.ts');
    const targets = await configuredTargets(flags.config, flags.target);
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
  if (flags.target !== undefined) throw new ConfigError('--target needs --config');
  if (sourceDir) {
    const { targetSchema } = await import('#core/config.ts');
    return [
      targetSchema.parse({ name: 'local', engine: 'postgres', source: { dataDir: sourceDir } }),
    ];
  }
  const { demoTarget, ensureDemoSource } = await import('#local/demo.ts');
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

/**
 * Drills each target in turn, progress on stderr and reports on stdout. One drill that breaks
 * is reported and the others still run; Ctrl-C stops the drill under way, which cleans up
 * before this returns 130.
 */
async function drillEach(
  targets: Target[],
  flags: RunFlags,
  io: Io,
  backend: Backend,
): Promise<number> {
  const { progressPrinter } = await import('./progress.ts');
  const interrupt = new AbortController();
  const onSignal = () => {
    if (backend.onInterrupt) io.stderr(backend.onInterrupt);
    interrupt.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const drilled: Drilled[] = [];
  let stoppedBeforeReporting = false;
  try {
    for (const [i, target] of targets.entries()) {
      const of = targets.length > 1 ? ` (${i + 1} of ${targets.length})` : '';
      io.stderr(`Restore drill of ${target.name}${of}${backend.where}`);
      try {
        const drill = await backend.drill(target, {
          onEvent: progressPrinter(io.stderr),
          signal: interrupt.signal,
        });
        drilled.push(drill);
        if (!flags.json) io.stdout(`${renderText(drill.report)}\n`);
        if (!flags.json && drill.report.suggestion) printSuggestion(drill.report, io);
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
  const kept = drilled.filter((d) => d.release && d.report.teardown.status === 'KEPT');
  if (interrupt.signal.aborted) {
    for (const d of kept) await d.release?.();
    if (backend.afterInterrupt) io.stderr(backend.afterInterrupt);
    return EXIT.INTERRUPTED;
  }

  const reports = drilled.map((d) => d.report);
  if (flags.json && reports.length) {
    io.stdout(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  }
  if (kept.length) {
    for (const d of kept) io.stderr(connectHint(d.report));
    await untilSignal();
    for (const d of kept) await d.release?.();
    io.stderr('Stopped the restored copy and removed its files.');
  }
  return Math.max(
    stoppedBeforeReporting ? EXIT.ERROR : EXIT.PASS,
    ...reports.map((r) => EXIT[r.status]),
  );
}

/** The checks proposed from a drill's copy (--suggest): the object on stdout, notes on stderr. */
function printSuggestion(report: DrillReport, io: Io): void {
  const { checks, notes, error } = report.suggestion ?? { notes: [] };
  if (!checks) {
    io.stderr(`No checks could be proposed from the restored copy: ${error ?? 'nothing read'}`);
    return;
  }
  io.stderr(`Checks proposed from the restored copy of ${report.target}, for its "checks":`);
  io.stdout(`${JSON.stringify(checks, null, 2)}\n`);
  for (const note of notes) io.stderr(`  ${note}`);
}

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
