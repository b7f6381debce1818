import { describe, expect, it } from 'vitest';
import { targetSchema } from '#core/config.ts';
import { workflowErrors } from '#core/errors.ts';
import { stepNames } from '#core/state.ts';
import { loadDefinition, taskBindings } from '#local/workflow.ts';

type Retrier = {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
};

type State = {
  Type: string;
  Error?: string;
  Retry?: Retrier[];
  Catch?: { ErrorEquals: string[]; ResultPath?: string; Next?: string }[];
  TimeoutSeconds?: number;
  Next?: string;
};

const definition = loadDefinition() as unknown as {
  States: Record<string, State>;
  TimeoutSeconds?: number;
};
const states = Object.values(definition.States);

/** Error names the definition matches or raises, other than Step Functions' and Lambda's own. */
const domainErrors = new Set(
  states
    .flatMap((s) =>
      [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals).concat(s.Error ?? []),
    )
    .filter((name) => !name.startsWith('States.') && !name.startsWith('Lambda.')),
);

describe('the workflow definition', () => {
  it('only names errors that exist as classes in the code', () => {
    const known = new Set(workflowErrors.map((E) => new E('x').name));
    expect(domainErrors.size).toBeGreaterThan(0);
    for (const name of domainErrors) expect(known, `${name} has no class`).toContain(name);
  });

  it('binds every Task state to a step, and every step to a Task state', () => {
    expect(Object.values(taskBindings(definition as never)).sort()).toEqual([...stepNames].sort());
  });

  it('routes every Task after StartDrill to teardown and the report when anything fails', () => {
    for (const [name, state] of Object.entries(definition.States)) {
      const exempt = ['StartDrill', 'RecordBaseline', 'PublishReport'];
      if (state.Type !== 'Task' || exempt.includes(name)) continue;
      const catchAll = state.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
      expect(catchAll, `${name} has no States.ALL catch`).toEqual({
        ErrorEquals: ['States.ALL'],
        ResultPath: `$.failed.${name}`,
        Next: name === 'TearDown' ? 'PublishReport' : 'TearDown',
      });
    }
  });

  it('goes on with the drill when the source cannot be read for its baseline, noting why', () => {
    expect(definition.States.RecordBaseline?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.baseline.failed', Next: 'CheckSnapshot' },
    ]);
    expect(definition.States.RecordBaseline?.Next).toBe('CheckSnapshot');
  });

  it('bounds every Task by its own timeout, as the deployed Lambdas are', () => {
    // Without one, the local interpreter stops a Task after 60 s while AWS waits for the Lambda.
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type === 'Task') expect(state.TimeoutSeconds, name).toBeGreaterThanOrEqual(60);
    }
    expect(definition.States.Verify?.TimeoutSeconds).toBe(900);
  });

  it('gives the longest allowed drill, teardown retries included, time to end inside its limit', () => {
    const teardownRetry = definition.States.TearDown?.Retry?.find((r) =>
      r.ErrorEquals.includes('TeardownPendingError'),
    );
    const {
      IntervalSeconds = 1,
      MaxAttempts = 3,
      BackoffRate = 2,
      MaxDelaySeconds = Infinity,
    } = teardownRetry ?? {};
    let teardownSeconds = 0;
    for (let i = 0; i < MaxAttempts; i++) {
      teardownSeconds += Math.min(IntervalSeconds * BackoffRate ** i, MaxDelaySeconds);
    }
    const longestTimeouts = targetSchema.shape.timeouts.parse({
      snapshotMinutes: 120,
      restoreMinutes: 240,
    });
    expect(() =>
      targetSchema.shape.timeouts.parse({ snapshotMinutes: 121, restoreMinutes: 90 }),
    ).toThrow();
    const verifySeconds = 15 * 60; // Lambda's longest run
    const worstSeconds =
      (longestTimeouts.snapshotMinutes + longestTimeouts.restoreMinutes) * 60 +
      verifySeconds +
      teardownSeconds;
    expect(definition.TimeoutSeconds).toBeGreaterThan(worstSeconds);
  });
});
