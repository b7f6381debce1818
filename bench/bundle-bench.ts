/**
 * Each Lambda function's bundle, built with the template's esbuild settings: its size, and its
 * cold import time (a fresh Node process importing it, minus a bare Node start), median of 5.
 *
 *   npm run bench:bundles
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { buildFunctions } from '../scripts/build-functions.ts';

const run = promisify(execFile);
const RUNS = 5;

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Wall time of a fresh Node process running `code`, in milliseconds. */
async function nodeMs(code: string): Promise<number> {
  const start = performance.now();
  await run(process.execPath, ['--input-type=module', '-e', code], {
    env: { PATH: process.env.PATH, POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'us-east-1' },
  });
  return performance.now() - start;
}

const outDir = await mkdtemp(join(tmpdir(), 'restore-drill-bundles-'));
try {
  const files = await buildFunctions(outDir);
  const bares: number[] = [];
  for (let i = 0; i < RUNS; i++) bares.push(await nodeMs('0;'));
  const bare = median(bares);
  const rows: string[][] = [];
  for (const file of files) {
    const { size } = await stat(file);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++)
      times.push(await nodeMs(`await import(${JSON.stringify(file)});`));
    rows.push([
      basename(dirname(file)),
      `${(size / 1024).toFixed(0)} KB`,
      `${Math.round(median(times) - bare)} ms`,
    ]);
  }
  const header = ['function', 'bundle', 'cold import'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(
    `Lambda bundles (cold import: median of ${RUNS}, over a bare Node start of ${Math.round(bare)} ms)\n`,
  );
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(fmt(r));
} finally {
  await rm(outDir, { recursive: true, force: true });
}
