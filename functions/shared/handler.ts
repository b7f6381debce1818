import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseWith } from '#core/config.ts';
import { ConfigError } from '#core/errors.ts';
import { type DrillState, drillStateSchema, type StepName } from '#core/state.ts';
import { type DrillDeps, steps } from '#core/steps.ts';
import { createDeps, type PortFactories } from './deps.ts';
import { logger, metrics, recordVerdict, tracer } from './powertools.ts';

/** Validates a step's event at the edge; a bad one throws ConfigError naming each bad field. */
const asDrillState = (step: StepName) => (event: unknown) =>
  parseWith(drillStateSchema, event, `${step} input`);

/** How each Task state's payload is read: StartDrill validates its raw input itself. */
const readEvent: Record<StepName, (event: unknown) => unknown> = {
  StartDrill: (event) => {
    // A kept copy in AWS would run, and cost, until someone noticed: only local runs may keep.
    if ((event as { keep?: unknown } | null)?.keep === true) {
      throw new ConfigError('StartDrill input is invalid:', [
        'keep: deployed drills always tear down; keeping a copy is for local runs (--keep)',
      ]);
    }
    return event;
  },
  TakeSnapshot: asDrillState('TakeSnapshot'),
  RecordBaseline: asDrillState('RecordBaseline'),
  CheckSnapshot: asDrillState('CheckSnapshot'),
  RestoreInstance: asDrillState('RestoreInstance'),
  CheckInstance: asDrillState('CheckInstance'),
  Verify: asDrillState('Verify'),
  TearDown: asDrillState('TearDown'),
  PublishReport: asDrillState('PublishReport'),
};

/** What is recorded about a step's result beyond the common step metrics. */
const recordResult: Partial<Record<StepName, (state: DrillState) => void>> = {
  PublishReport: recordVerdict,
};

export interface StepHandlerOptions<S extends StepName> {
  /** The ports this function's step uses, built from `process.env` on first use. */
  ports?: PortFactories<S>;
  /** Where the step's dependencies come from instead; tests pass fakes. */
  deps?: () => DrillDeps;
}

/**
 * The Lambda handler of one Task state: Powertools tracing, structured logging and metrics
 * around the matching step from the core. Errors propagate (logged with the step's context
 * first), so Step Functions' Retry and Catch see their names.
 */
export function stepHandler<S extends StepName>(step: S, options: StepHandlerOptions<S> = {}) {
  let built: DrillDeps | undefined;
  const deps =
    options.deps ?? (() => (built ??= createDeps(step, process.env, options.ports ?? {})));
  const run = steps[step] as (input: unknown, deps: DrillDeps) => Promise<DrillState>;
  const read = readEvent[step];
  const record = recordResult[step];

  return observed(step, async (event) => {
    const input = read(event);
    const state = await run(input, deps());
    record?.(state);
    logger.info(`${step} finished`, { drillId: state.drillId, target: state.target.name });
    return state;
  });
}

/**
 * A Lambda handler with Powertools around it: tracing, structured logs with the Lambda context,
 * and step metrics (succeeded, failed, duration) under a `step` dimension. Errors are logged and
 * counted, then propagate, so Step Functions' Retry and Catch see their names.
 */
export function observed<R>(step: string, work: (event: unknown) => Promise<R>) {
  return middy<unknown, R, Error, Context>()
    .use(captureLambdaHandler(tracer))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: ({ error }) => {
        // Logged with the step's context and counted; middy then rethrows it to the runtime.
        metrics.addMetric('StepFailed', MetricUnit.Count, 1);
        logger.error(`${step} failed`, { step, error });
      },
    })
    .handler(async (event) => {
      logger.appendKeys({ step });
      metrics.addDimension('step', step);
      const started = performance.now();
      const result = await work(event);
      metrics.addMetric('StepSucceeded', MetricUnit.Count, 1);
      metrics.addMetric(
        'StepDuration',
        MetricUnit.Milliseconds,
        Math.round(performance.now() - started),
      );
      return result;
    });
}
