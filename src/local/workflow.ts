import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import type { DrillReport } from '#core/report.ts';
import type { DrillState } from '#core/state.ts';
import { type DrillDeps, steps } from '#core/steps.ts';

/** The one workflow definition, read by the local run exactly as it is deployed. */
export const definitionUrl = new URL('../../statemachine/restore-drill.asl.json', import.meta.url);

/** One entry of the interpreter's execution log (state entered, exited, failed, ...). */
export type EventLog =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

type Definition = {
  States: Record<
    string,
    { Type: string; Next?: string; Default?: string; Parameters?: { FunctionName?: string } }
  >;
};

export function loadDefinition(): Definition {
  return JSON.parse(readFileSync(definitionUrl, 'utf8')) as Definition;
}

type StepKey = keyof typeof steps;

/**
 * Which step each Task state runs, read off the definition: `${VerifyFunctionArn}` is the
 * Verify function, whose Lambda runs `steps.Verify`. Deployed, the same names pick the function.
 */
export function taskBindings(definition: Definition): Record<string, StepKey> {
  const bindings: Record<string, StepKey> = {};
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const match = /^\$\{(\w+)FunctionArn\}$/.exec(state.Parameters?.FunctionName ?? '');
    const key = match?.[1];
    if (!key || !(key in steps)) throw new Error(`Task state ${stateName} names no known function`);
    bindings[stateName] = key as StepKey;
  }
  return bindings;
}

/** The Task states that poll: each is followed by a Choice that loops back through a Wait. */
export function pollTasks(definition: Definition): Set<string> {
  const state = (name?: string) => (name ? definition.States[name] : undefined);
  return new Set(
    Object.entries(definition.States)
      .filter(([, task]) => task.Type === 'Task')
      .filter(([, task]) => state(task.Next)?.Type === 'Choice')
      .filter(([, task]) => state(state(task.Next)?.Default)?.Type === 'Wait')
      .map(([name]) => name),
  );
}

export interface WorkflowRun {
  /** The report PublishReport sent, if the workflow got that far. */
  report?: DrillReport;
  /** The execution's final output (a Succeed), or the error a Fail state or an uncaught error raised. */
  output?: unknown;
  error?: { name: string; message: string };
}

export interface WorkflowOptions {
  /** Milliseconds each Wait state pauses locally, instead of the seconds the steps ask for. */
  waitMs?: number;
  /** Milliseconds between retries locally, instead of the definition's intervals. */
  retryMs?: number;
  onEvent?: (event: EventLog) => void;
  /** Set when the run is to stop (Ctrl-C): the execution is aborted. */
  signal?: AbortSignal;
}

/**
 * Interprets the workflow definition with `aws-local-stepfunctions`, each Task bound to the
 * step its Lambda runs. The binding mirrors the `lambda:invoke` integration: the step gets
 * `Payload` and its result comes back as `{ Payload }`, so `OutputPath: $.Payload` holds.
 */
export async function runWorkflow(
  input: unknown,
  deps: DrillDeps,
  options: WorkflowOptions = {},
): Promise<WorkflowRun> {
  const definition = loadDefinition();
  const bindings = taskBindings(definition);
  const run: WorkflowRun = {};
  const notifier = {
    publish: async (report: DrillReport) => {
      run.report = report;
      await deps.notifier.publish(report);
    },
  };
  const bound = { ...deps, notifier };
  // An aborted execution does not stop the step under way: it is awaited before returning, so
  // whatever it creates exists by then, and the caller's cleanup finds it.
  const running = new Set<Promise<DrillState>>();
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [stateName, key] of Object.entries(bindings)) {
    const step = steps[key] as (state: unknown, deps: DrillDeps) => Promise<DrillState>;
    handlers[stateName] = async (parameters) => {
      const work = step((parameters as { Payload: unknown }).Payload, bound);
      running.add(work);
      try {
        return { Payload: await work };
      } finally {
        running.delete(work);
      }
    };
  }
  const overrideAll = <T>(type: string, value: T | undefined) =>
    value === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(definition.States)
            .filter(([, s]) => s.Type === type)
            .map(([name]) => [name, value]),
        );

  const machine = new StateMachine(definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      waitTimeOverrides: overrideAll('Wait', options.waitMs),
      retryIntervalOverrides: overrideAll('Task', options.retryMs),
    },
  });
  options.signal?.addEventListener('abort', () => execution.abort(), { once: true });
  const events = (async () => {
    for await (const event of execution.eventLogs) {
      try {
        options.onEvent?.(event);
      } catch {
        // progress display must never stop a drill (and its teardown)
      }
    }
  })();
  try {
    run.output = await execution.result;
  } catch (error) {
    const { name, message, cause } = error as Error & { cause?: unknown };
    // A Fail state surfaces as ExecutionError whose cause carries the Fail's Error and Cause.
    const failed = cause instanceof Error ? cause : undefined;
    run.error = failed ? { name: failed.name, message: failed.message } : { name, message };
  }
  await events.catch(() => undefined);
  await Promise.allSettled(running);
  return run;
}
