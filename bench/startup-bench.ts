/**
 * How long `restore-drill` takes to answer a command line that only prints or refuses, beside a
 * bare Node start (`node -e 0`): median wall time of N fresh processes each, from the bundle
 * (`dist/cli/`, rebuilt first) and from the TypeScript sources (RESTORE_DRILL_FROM_SOURCES=1).
 * The runs are interleaved, one of each command line a round, so a busy machine slows them alike.
 *
 *   npm run bench:startup [-- --runs 15]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildCli } from '../scripts/build-cli.ts';
import { DRILL_SUMMARY, type DrillSummary } from './summary.ts';

// Not strict: `npm run bench -- ...` hands the options meant for the other benchmarks here too.
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '15' } },
  strict: false,
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs ${values.runs}: a whole number`);

const bin = new URL('../bin/restore-drill.js', import.meta.url).pathname;
const lines: { label: string; argv: string[]; exit: number }[] = [
  { label: '--help', argv: ['--help'], exit: 0 },
  { label: '--version', argv: ['--version'], exit: 0 },
  { label: 'run --help', argv: ['run', '--help'], exit: 0 },
  { label: 'check --help', argv: ['check', '--help'], exit: 0 },
  { label: 'run --local --bogus (unknown flag)', argv: ['run', '--local', '--bogus'], exit: 2 },
  { label: 'start (missing --target)', argv: ['start'], exit: 2 },
];

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Wall time of one fresh process, in milliseconds; throws if it exits with another code. */
function processMs(argv: string[], exit: number, env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const { status, stderr } = spawnSync(process.execPath, argv, { env, encoding: 'utf8' });
  const ms = performance.now() - start;
  if (status !== exit)
    throw new Error(`${argv.join(' ')} exited ${status}, not ${exit}:\n${stderr}`);
  return ms;
}

await buildCli();
const { RESTORE_DRILL_FROM_SOURCES, ...bundleEnv } = process.env;
const sourcesEnv = { ...bundleEnv, RESTORE_DRILL_FROM_SOURCES: '1' };

const bare: number[] = [];
const times = lines.map(() => ({ bundle: [] as number[], sources: [] as number[] }));
for (let round = 0; round < RUNS; round++) {
  bare.push(processMs(['-e', '0'], 0, bundleEnv));
  lines.forEach(({ argv, exit }, i) => {
    times[i]?.bundle.push(processMs([bin, ...argv], exit, bundleEnv));
    times[i]?.sources.push(processMs([bin, ...argv], exit, sourcesEnv));
  });
}

const bareMs = median(bare);
const cell = (xs: number[]) => {
  const ms = median(xs);
  return `${ms.toFixed(0)} ms (${(ms / bareMs).toFixed(1)}x)`;
};
console.log(`Start-up, median of ${RUNS} runs; the ratio is to node -e 0\n`);
console.log('| command line | bundle (dist/cli) | sources (type stripping) |');
console.log('| --- | --- | --- |');
console.log(`| node -e 0 | ${bareMs.toFixed(0)} ms (1.0x) | |`);
lines.forEach(({ label }, i) => {
  const t = times[i];
  if (t) console.log(`| restore-drill ${label} | ${cell(t.bundle)} | ${cell(t.sources)} |`);
});

// Both goals side by side: start-up within 3x a bare Node start, a local drill within 1.1x the
// raw operations (from the drill bench, where it ran).
let drills: DrillSummary | undefined;
try {
  drills = JSON.parse(readFileSync(DRILL_SUMMARY, 'utf8')) as DrillSummary;
} catch {
  drills = undefined;
}
const help = times[0];
console.log('\nSummary');
if (help) {
  console.log(
    `  start-up: restore-drill --help ${median(help.bundle).toFixed(0)} ms against node -e 0 ${bareMs.toFixed(0)} ms: ${(median(help.bundle) / bareMs).toFixed(1)}x (goal: at most 3x)`,
  );
}
for (const { scale, drillMs, rawMs } of drills?.wholeDrill ?? []) {
  console.log(
    `  local drill x${scale}: ${(drillMs / 1000).toFixed(1)} s against the raw operations' ${(rawMs / 1000).toFixed(1)} s: ${(drillMs / rawMs).toFixed(2)}x (goal: at most 1.1x)`,
  );
}
if (drills) {
  console.log(
    `  drills measured ${drills.at} on ${drills.fsType}, reflinks ${drills.reflinks ? 'available' : 'not available'}, used by a drill: none`,
  );
} else console.log('  local drill: not measured (npm run bench:drill)');
