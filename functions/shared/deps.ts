import { SNSClient } from '@aws-sdk/client-sns';
import { PostgresVerifier } from '#adapters/postgres/verifier.ts';
import { SnsNotifier } from '#adapters/sns/notifier.ts';
import { ConfigError } from '#core/errors.ts';
import {
  type Clock,
  type DatabaseFleet,
  type DatabaseVerifier,
  type Notifier,
  systemClock,
} from '#core/ports.ts';
import type { DrillDeps } from '#core/steps.ts';
import { type Env, type LambdaConfig, loadConfig } from './config.ts';
import { tracer } from './powertools.ts';

/**
 * The database fleet the deployed steps work on. The Amazon RDS adapter is not wired into the
 * functions (nor allowed by their IAM policies) yet; until it is, every step that needs the
 * fleet fails with this error, which the workflow catches and the drill's report names, rather
 * than pretending to snapshot anything.
 */
export function createFleet(_env: Env): DatabaseFleet {
  throw new ConfigError(
    'The Amazon RDS backend is not part of the deployed build yet: the deployed functions cannot snapshot, restore or delete databases. Drill RDS instances from a machine with "restore-drill run --config FILE" for now.',
  );
}

/** How each port is made. Tests pass fakes; anything left out gets its production adapter. */
export interface PortFactories {
  fleet?: (env: Env) => DatabaseFleet;
  verifier?: () => DatabaseVerifier;
  notifier?: (config: LambdaConfig) => Notifier;
  clock?: Clock;
}

const production = {
  fleet: createFleet,
  verifier: () => new PostgresVerifier(),
  notifier: (config: LambdaConfig) =>
    new SnsNotifier(config.reportTopicArn, tracer.captureAWSv3Client(new SNSClient({}))),
} satisfies PortFactories;

/** Builds a port on first use and keeps it, so a step never pays for a port it does not use. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/**
 * The steps' dependencies, built from the environment. The configuration is read (and checked)
 * here, at once; each port is built the first time a step reaches for it, so StartDrill and
 * PublishReport work while no fleet can be built, and a drill still reports why it stopped.
 */
export function createDeps(env: Env, factories: PortFactories = {}): DrillDeps {
  const config = loadConfig(env);
  const fleet = once(() => (factories.fleet ?? production.fleet)(env));
  const verifier = once(factories.verifier ?? production.verifier);
  const notifier = once(() => (factories.notifier ?? production.notifier)(config));
  return {
    get fleet() {
      return fleet();
    },
    get verifier() {
      return verifier();
    },
    get notifier() {
      return notifier();
    },
    clock: factories.clock ?? systemClock,
  };
}
