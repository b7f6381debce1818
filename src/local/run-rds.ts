import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { isNotFound } from '#adapters/rds/errors.ts';
import { RdsFleet, rdsClient } from '#adapters/rds/fleet.ts';
import { sourceOf } from '#adapters/rds/resources.ts';
import { verifierFor } from '#adapters/verifiers.ts';
import { engines, type Target } from '#core/config.ts';
import { TeardownPendingError } from '#core/errors.ts';
import { type BaselineStore, type Clock, type DatabaseVerifier, systemClock } from '#core/ports.ts';
import type { DrillReport } from '#core/report.ts';
import { type DrillState, drillStateSchema } from '#core/state.ts';
import { type DrillDeps, tearDown } from '#core/steps.ts';
import { baselinesIn, defaultStateDir } from './state-dir.ts';
import { type EventLog, runWorkflow } from './workflow.ts';

export interface RdsDrillOptions {
  onEvent?: (event: EventLog) => void;
  /** Ctrl-C: the workflow stops, and what the drill made is torn down before returning. */
  signal?: AbortSignal;
  /** Lines for the person at the terminal (teardown after an interruption). */
  say?: (line: string) => void;
  /** Tests pass a fleet over a mocked client, a verifier and a simulated clock. */
  fleet?: RdsFleet;
  verifier?: DatabaseVerifier;
  /** Where baselines are kept; default: `.restore-drill/baselines` in the working directory. */
  baselines?: BaselineStore;
  clock?: Clock;
  /** Milliseconds each Wait and retry pauses; default: as the steps and the definition ask. */
  waitMs?: number;
  /** Propose checks from the restored copy before it goes (the report's `suggestion`). */
  suggest?: boolean;
}

/**
 * Before any drill starts: can this machine's AWS identity see every target's source, and does
 * each run the engine its target names? A set-up problem (no credentials, no region, an endpoint
 * out of reach, access denied) comes back as the SDK's own error, for the CLI to say in one line;
 * a source that is not there, or of another engine (whose checks could not run), is named.
 */
export async function checkSources(
  targets: Target[],
  // Few attempts: a set-up problem should be said in seconds, not after a drill's patience.
  client = rdsClient({ maxAttempts: 3 }),
): Promise<void> {
  for (const { name, source, engine } of targets) {
    const { id, cluster } = sourceOf(source);
    let runs: string | undefined;
    try {
      if (cluster) {
        const { DBClusters = [] } = await client.send(
          new DescribeDBClustersCommand({ DBClusterIdentifier: id }),
        );
        runs = DBClusters[0]?.Engine;
      } else {
        const { DBInstances = [] } = await client.send(
          new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
        );
        runs = DBInstances[0]?.Engine;
      }
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const region = await client.config.region().catch(() => 'this region');
      throw new Error(
        `target ${name}: source ${cluster ? 'cluster' : 'instance'} ${id} does not exist in ${region}: check the identifier, AWS_REGION and the account`,
      );
    }
    // RDS names engines as the configuration does.
    if (runs && runs !== engine) {
      const hint = (engines as readonly string[]).includes(runs)
        ? `set the target's engine to ${runs}`
        : `restore-drill drills ${engines.join(', ')}`;
      throw new Error(
        `target ${name}: source ${cluster ? 'cluster' : 'instance'} ${id} runs ${runs}, not ${engine}: ${hint}`,
      );
    }
  }
}

/** How long an interrupted drill waits between attempts to delete a copy still being created. */
const TEARDOWN_RETRY_MS = 30_000;
const TEARDOWN_ATTEMPTS = 90;

/**
 * Runs one drill of an Amazon RDS target from this machine: the deployed workflow definition,
 * interpreted locally, its Tasks bound to the same steps as the Lambdas, over the RDS fleet with
 * this machine's AWS credentials. Nothing is deployed; the report goes to the terminal.
 */
export async function runRdsDrill(target: Target, options: RdsDrillOptions = {}) {
  const clock = options.clock ?? systemClock;
  const deps: DrillDeps = {
    fleet: options.fleet ?? new RdsFleet(),
    verifier: options.verifier ?? verifierFor(target.engine),
    baselines: options.baselines ?? baselinesIn(defaultStateDir()),
    notifier: { publish: async () => undefined },
    clock,
  };
  let latest: DrillState | undefined;
  const run = await runWorkflow({ target, suggest: options.suggest ?? false }, deps, {
    waitMs: options.waitMs,
    retryMs: options.waitMs,
    signal: options.signal,
    onEvent: (event) => {
      if ('state' in event && event.type === 'StateExited') {
        const parsed = drillStateSchema.safeParse(
          (event.state.output as { Payload?: unknown } | undefined)?.Payload ?? event.state.output,
        );
        if (parsed.success) latest = parsed.data;
      }
      options.onEvent?.(event);
    },
  });
  if (run.report) return run.report;
  // Interrupted (or stopped before reporting): whatever the drill made is still deleted here,
  // by the same step and guard rails, rather than left running in the account.
  if (latest) await tearDownAfterInterruption(latest, deps, options);
  const why = run.error ? `${run.error.name}: ${run.error.message}` : 'no report was published';
  throw new Error(`the drill of ${target.name} stopped before reporting (${why})`);
}

async function tearDownAfterInterruption(
  state: DrillState,
  deps: DrillDeps,
  { say = () => undefined, waitMs = TEARDOWN_RETRY_MS }: RdsDrillOptions,
): Promise<DrillReport['teardown']> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { teardown } = await tearDown(state, deps);
      if (teardown) say(`Teardown: ${teardown.message}`);
      return teardown ?? { status: 'DONE', message: 'nothing to delete', deleted: [] };
    } catch (error) {
      if (!(error instanceof TeardownPendingError) || attempt >= TEARDOWN_ATTEMPTS) {
        say(
          `Teardown did not finish: ${(error as Error).message}. Delete what carries the tag restore-drill:drill-id=${state.drillId} yourself.`,
        );
        throw error;
      }
      say(`Teardown waits: ${error.message}`);
      await new Promise((done) => setTimeout(done, waitMs));
    }
  }
}
