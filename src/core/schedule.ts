import * as z from 'zod/mini';
import { parseWith } from './config.ts';
import { ConfigError } from './errors.ts';
import { executionName } from './execution-names.ts';
import type { Clock, TargetCatalog } from './ports.ts';

const scheduleInputSchema = z.object({
  /** Drill only these targets; all of the stored configuration's when absent. */
  targets: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
});

/** One drill the schedule starts: its target, and its execution's name. */
export interface ScheduledDrill {
  targetName: string;
  executionName: string;
}

/**
 * The drills a scheduled run starts: every configured target, or the listed ones (each must be
 * configured, or nothing starts), each named as the CLI names the drills it starts, so history
 * finds them by target.
 */
export async function listTargets(
  input: unknown,
  { catalog, clock }: { catalog: TargetCatalog; clock: Clock },
): Promise<{ targets: ScheduledDrill[] }> {
  const { targets: only } = parseWith(scheduleInputSchema, input ?? {}, 'schedule input');
  const names = (await catalog.targets()).map((t) => t.name);
  const unknown = only?.filter((name) => !names.includes(name)) ?? [];
  if (unknown.length) {
    throw new ConfigError(
      `the stored configuration has no target named ${unknown.map((n) => `"${n}"`).join(', ')}`,
    );
  }
  const now = clock.now();
  const chosen = only ? names.filter((name) => only.includes(name)) : names;
  return {
    targets: chosen.map((targetName) => ({
      targetName,
      executionName: executionName(targetName, now),
    })),
  };
}
