import { describe, expect, it } from 'vitest';
import { workflowErrors } from '#core/errors.ts';
import { stepNames } from '#core/state.ts';
import { loadDefinition, taskBindings } from '#local/workflow.ts';

type State = {
  Type: string;
  Error?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[] }[];
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
      if (state.Type !== 'Task' || name === 'StartDrill' || name === 'PublishReport') continue;
      const catchAll = state.Catch?.find((c) => c.ErrorEquals.includes('States.ALL'));
      expect(catchAll, `${name} has no States.ALL catch`).toBeDefined();
    }
  });

  it('has a time limit', () => {
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
  });
});
