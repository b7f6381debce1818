import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DrillExecutions,
  executionName,
  targetOfExecutionName,
} from '#adapters/aws/drill-executions.ts';

const sfn = mockClient(SFNClient);
afterAll(() => sfn.restore());
beforeEach(() => sfn.reset());

describe('execution names', () => {
  const at = new Date('2026-11-23T03:00:12.345Z');

  it('hold the target, the UTC second and six random hex digits', () => {
    expect(executionName('orders', at, 'a1b2c3')).toBe('orders-20261123t030012-a1b2c3');
    expect(executionName('orders', at)).toMatch(/^orders-20261123t030012-[0-9a-f]{6}$/);
  });

  it('fit Step Functions’ limits for the longest target name', () => {
    const name = executionName('a'.repeat(30), at);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('give back their target, and nothing for other names', () => {
    expect(targetOfExecutionName('orders-db-20261123t030012-a1b2c3')).toBe('orders-db');
    expect(targetOfExecutionName('3f2a9c1e-7d4b-4e8f-9a6c-0b1d2e3f4a5b')).toBeUndefined();
  });
});

describe('DrillExecutions.report', () => {
  const execution = {
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:restore-drill:x',
    name: 'orders-20261123t030012-a1b2c3',
    target: 'orders',
    status: 'SUCCEEDED',
    startDate: new Date(),
  };
  const exit = (output: string, truncated = false) => ({
    events: [
      {
        id: 70,
        type: 'TaskStateExited' as const,
        timestamp: new Date(),
        stateExitedEventDetails: { name: 'PublishReport', output, outputDetails: { truncated } },
      },
    ],
  });

  it('says so when the final state was too large to keep in the history', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves(exit('{"target": {', true));
    await expect(new DrillExecutions(new SFNClient({})).report(execution)).rejects.toThrow(
      "the report of orders-20261123t030012-a1b2c3 is too large to be read from the execution's history",
    );
  });

  it('says so when the final state is not one this version reads', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves(exit('{"drillId": 1}'));
    await expect(new DrillExecutions(new SFNClient({})).report(execution)).rejects.toThrow(
      /^the final state of orders-20261123t030012-a1b2c3 is not a drill state this version reads: /,
    );
  });

  it('reads no history of a running execution', async () => {
    const running = { ...execution, status: 'RUNNING' };
    expect(await new DrillExecutions(new SFNClient({})).report(running)).toBeUndefined();
    expect(sfn.calls()).toHaveLength(0);
  });
});
