import { resolve } from 'node:path';
import { PgliteFleet, type PgliteFleetOptions } from '#adapters/pglite/fleet.ts';
import { PostgresVerifier } from '#adapters/postgres/verifier.ts';
import type { Target } from '#core/config.ts';
import { systemClock } from '#core/ports.ts';
import type { DrillReport } from '#core/report.ts';
import type { DrillInput } from '#core/state.ts';
import { baselinesIn } from './state-dir.ts';
import { type EventLog, runWorkflow } from './workflow.ts';

/** How often a local drill polls a snapshot or copy that is still being made. */
const LOCAL_POLL_MS = 100;
/**
 * How long each of those polls waits for the work to finish before it answers: a poll returns
 * the moment its snapshot or copy is ready, so a phase costs no poll interval after it ends.
 */
const LOCAL_SETTLE_MS = 1000;
/** Local retries (teardown of a copy still starting, say) need not wait as long as in AWS. */
const LOCAL_RETRY_MS = 200;

export interface LocalDrillOptions {
  /** Where snapshots and restored copies live (`snapshots/`, `instances/`). */
  stateDir: string;
  keep?: boolean;
  /** Propose checks from the restored copy before it goes (the report's `suggestion`). */
  suggest?: boolean;
  onEvent?: (event: EventLog) => void;
  signal?: AbortSignal;
  /** How the local fleet works (by default: polls that wait for the work, tarballs reused). */
  fleet?: PgliteFleetOptions;
}

export interface LocalDrill {
  report: DrillReport;
  /** Stops and removes the drill's copy; a copy the report calls KEPT runs until then. */
  release(): Promise<void>;
}

/**
 * Runs one drill of `target` on this machine: the deployed workflow definition, interpreted
 * locally, over the PGlite fleet. Whatever happens, what the drill made is gone afterwards,
 * unless `keep` asked to leave the restored copy running; then `release()` removes it.
 */
export async function runLocalDrill(
  target: Target,
  options: LocalDrillOptions,
): Promise<LocalDrill> {
  const fleet = new PgliteFleet(resolve(options.stateDir), {
    settleMs: LOCAL_SETTLE_MS,
    ...options.fleet,
  });
  const input: DrillInput = {
    target,
    keep: options.keep ?? false,
    suggest: options.suggest ?? false,
  };
  const run = await runWorkflow(
    input,
    {
      fleet,
      verifier: new PostgresVerifier(),
      baselines: baselinesIn(options.stateDir),
      clock: systemClock,
      notifier: { publish: async () => undefined },
    },
    {
      waitMs: LOCAL_POLL_MS,
      retryMs: LOCAL_RETRY_MS,
      onEvent: options.onEvent,
      signal: options.signal,
    },
  );
  const release = () => fleet.releaseAll();
  if (!run.report) {
    await release();
    const why = run.error ? `${run.error.name}: ${run.error.message}` : 'no report was published';
    throw new Error(`the drill of ${target.name} stopped before reporting (${why})`);
  }
  // Only a copy the report calls KEPT stays; anything else (a keep that teardown could not honour,
  // a teardown that failed) is removed now rather than left to the next run's sweep.
  if (run.report.teardown.status !== 'KEPT') await release();
  return { report: run.report, release };
}

/** Removes what drills that died (killed mid-run) left in the store; returns what it removed. */
export async function removeLeftovers(stateDir: string): Promise<string[]> {
  const fleet = new PgliteFleet(resolve(stateDir));
  const { instances, snapshots } = await fleet.leftovers();
  for (const id of instances) await fleet.deleteCopy(id);
  for (const id of snapshots) await fleet.deleteSnapshot(id);
  return [...instances.map((id) => `instance ${id}`), ...snapshots.map((id) => `snapshot ${id}`)];
}

export { defaultStateDir } from './state-dir.ts';
