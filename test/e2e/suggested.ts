import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { type DrillConfig, parseConfig } from '#core/config.ts';
import type { CheckReport } from '#core/report.ts';
import { runCli } from './pg-server.ts';

/** `suggest` as a process, which must exit 0: the checks it printed, its notes and hint. */
export async function suggestAt(url: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const run = await runCli(['suggest', '--url', url, ...extra], env);
  expect(run.stderr).not.toContain('Error');
  expect(run.status).toBe(0);
  return { ...run, checks: JSON.parse(run.stdout) };
}

/** The last line suggest prints on stderr, for `count` tables of `database`. */
export const whereToPut = (count: number, database: string) =>
  `Checks for ${count} tables of "${database}": put this object in the configuration as the "checks" of its target, then try it with restore-drill check --url URL --config FILE`;

/**
 * Suggested `checks` pasted into a target of a configuration file, and `check --config` run
 * with it as a process: the configuration as its schema reads it, the run and its JSON report.
 */
export async function checkSuggested(
  checks: unknown,
  target: { url: string; engine: string; database: string; file: string; env?: NodeJS.ProcessEnv },
): Promise<{ config: DrillConfig; run: Awaited<ReturnType<typeof runCli>>; report: CheckReport }> {
  const { url, engine, database, file, env } = target;
  const written = {
    targets: [{ name: 'shop', engine, database, source: { instance: 'shop-prod' }, checks }],
  };
  const config = parseConfig(written);
  writeFileSync(file, JSON.stringify(written, null, 2));
  const run = await runCli(['check', '--url', url, '--config', file, '--json'], env);
  return { config, run, report: JSON.parse(run.stdout) as CheckReport };
}
