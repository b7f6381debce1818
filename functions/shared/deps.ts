import type {
  BaselineStore,
  Clock,
  DatabaseFleet,
  DatabaseVerifier,
  Notifier,
  TargetCatalog,
} from '#core/ports.ts';
import { systemClock } from '#core/ports.ts';
import type { StepName } from '#core/state.ts';
import type { DrillDeps, FleetOf } from '#core/steps.ts';
import type { Env } from './config.ts';

/**
 * How each port of one function is made. Each function names only the ports its step uses, so
 * its bundle carries no adapter, SDK client or driver another step needs; tests pass fakes.
 */
export interface PortFactories<S extends StepName = StepName> {
  fleet?: (env: Env) => FleetOf<S>;
  verifier?: (env: Env) => DatabaseVerifier;
  notifier?: (env: Env) => Notifier;
  catalog?: (env: Env) => TargetCatalog;
  baselines?: (env: Env) => BaselineStore;
  clock?: Clock;
}

/** Builds a port on first use and keeps it, so a step never pays for a port it does not use. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/** A port the function was not built with: a wiring mistake, named rather than a TypeError. */
function missing(step: string, port: string): never {
  throw new TypeError(`the ${step} function is built without a ${port}`);
}

/**
 * The steps' dependencies from the environment: each port is built the first time the step
 * reaches for it (reading and checking what it needs from `env` then), and kept for the warm
 * invocations that follow.
 */
export function createDeps<S extends StepName>(
  step: S,
  env: Env,
  factories: PortFactories<S>,
): DrillDeps {
  const { fleet: makeFleet, verifier: makeVerifier, notifier: makeNotifier } = factories;
  const makeCatalog = factories.catalog;
  const fleet = once(() => (makeFleet ? makeFleet(env) : missing(step, 'fleet')));
  const verifier = once(() => (makeVerifier ? makeVerifier(env) : missing(step, 'verifier')));
  const notifier = once(() => (makeNotifier ? makeNotifier(env) : missing(step, 'notifier')));
  const catalog = once(() => (makeCatalog ? makeCatalog(env) : missing(step, 'catalog')));
  const makeBaselines = factories.baselines;
  const baselines = once(() =>
    makeBaselines ? makeBaselines(env) : missing(step, 'baseline store'),
  );
  return {
    // The step is typed to call no more of the fleet than FleetOf<S> holds.
    get fleet() {
      return fleet() as DatabaseFleet;
    },
    get verifier() {
      return verifier();
    },
    get notifier() {
      return notifier();
    },
    // Optional in the steps: a function without one starts drills only from a full target.
    get catalog() {
      return makeCatalog && catalog();
    },
    get baselines() {
      return baselines();
    },
    clock: factories.clock ?? systemClock,
  };
}
