import 'aws-sdk-client-mock-vitest/extend';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DrillExecutions } from '#adapters/aws/drill-executions.ts';
import { executionProgress } from '#cli/execution-progress.ts';
import { watchExecution } from '#cli/executions.ts';
import { buildReport, renderText } from '#core/report.ts';
import type { DrillState } from '#core/state.ts';
import { erroredState, failingState, passingState } from '../fixtures/drill-state.ts';
import {
  cli,
  drillHistory,
  executionArn,
  HistoryWriter,
  historyPages,
  STATE_MACHINE_ARN,
  stackOutputs,
} from './deployed.ts';

const sfn = mockClient(SFNClient);
const cfn = mockClient(CloudFormationClient);
afterAll(() => {
  sfn.restore();
  cfn.restore();
});

const NOW = new Date('2026-03-01T03:00:00.000Z');
const NAME = /^orders-db-20260301t030000-[0-9a-f]{6}$/;

beforeEach(() => {
  sfn.reset();
  cfn.reset();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'restore-drill',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: NOW,
        Outputs: stackOutputs,
      },
    ],
  });
  sfn.on(StartExecutionCommand).callsFake(({ name }) => ({
    executionArn: executionArn(name),
    startDate: NOW,
  }));
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

/** The execution `start` began, as its StartExecution call named it. */
const started = () => {
  const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
  return { name: input?.name ?? '', arn: executionArn(input?.name ?? '') };
};

/** An ended execution: DescribeExecution and its history. */
function ended(status: string, events: HistoryEvent[], extra: object = {}) {
  sfn.on(DescribeExecutionCommand).callsFake(({ executionArn: arn }) => ({
    executionArn: arn,
    stateMachineArn: STATE_MACHINE_ARN,
    name: arn.split(':').at(-1),
    status,
    startDate: NOW,
    stopDate: new Date(NOW.getTime() + 600_000),
    ...extra,
  }));
  sfn.on(GetExecutionHistoryCommand).callsFake(historyPages(() => events));
}

describe('restore-drill start', () => {
  it('starts an execution of the stack’s state machine with the target’s name as input', async () => {
    const { code, stdout, stderr } = await cli('start', '--target', 'orders-db');

    expect(code).toBe(0);
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
    expect(cfn.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: 'restore-drill',
    });
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: expect.stringMatching(NAME),
      input: '{"targetName":"orders-db"}',
    });
    expect(input?.name?.length).toBeLessThanOrEqual(80);
    expect(stdout).toBe(started().arn);
    expect(stderr).toBe('');
  });

  it('takes the state machine from --state-machine-arn without asking CloudFormation', async () => {
    const arn = STATE_MACHINE_ARN.replace('restore-drill-Drill', 'other');
    const { code, stdout } = await cli(
      'start',
      '--target',
      'orders-db',
      '--state-machine-arn',
      arn,
      '--json',
    );
    expect(code).toBe(0);
    expect(cfn).not.toHaveReceivedAnyCommand();
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe(arn);
    expect(JSON.parse(stdout)).toEqual({
      executionArn: started().arn,
      startDate: NOW.toISOString(),
      name: started().name,
    });
  });

  it('reads the outputs of the stack --stack names', async () => {
    await cli('start', '--target', 'orders-db', '--stack', 'drills-eu');
    expect(cfn.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: 'drills-eu',
    });
  });

  it.each([
    [passingState(), 'SUCCEEDED', 0],
    [failingState(), 'FAILED', 1],
    [erroredState(), 'FAILED', 3],
  ] as [DrillState, string, number][])(
    'with --wait, prints progress and the report, and exits with the verdict (%#)',
    async (state, status, exit) => {
      const { events, reportAt } = drillHistory(state);
      ended(status, events);

      const { code, stdout, stderr } = await cli('start', '--target', 'orders-db', '--wait');

      const report = buildReport(state, reportAt);
      expect(stdout).toBe(`${renderText(report)}\n`);
      expect(code).toBe(exit);
      const lines = stderr.split('\n');
      expect(lines[0]).toBe(`Started ${started().name}: ${started().arn}`);
      expect(lines).toContain('  CheckInstance done in 2 min 3 s, 3 polls');
      expect(lines.at(-1)).toBe('  PublishReport done in 1.0 s');
      expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
        executionArn: started().arn,
        reverseOrder: true,
        includeExecutionData: true,
      });
      expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({
        executionArn: started().arn,
      });
    },
  );

  it('with --wait --json, prints only the report on stdout', async () => {
    const { events, reportAt } = drillHistory(failingState());
    ended('FAILED', events);
    const { code, stdout } = await cli('start', '--target', 'orders-db', '--wait', '--json');
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual(
      JSON.parse(JSON.stringify(buildReport(failingState(), reportAt))),
    );
  });

  it('says how an execution ended without a report, and exits 3', async () => {
    const { events } = new HistoryWriter()
      .task('StartDrill', {})
      .task('TakeSnapshot', {})
      .end('ExecutionTimedOut');
    ended('TIMED_OUT', events, { error: 'States.Timeout', cause: 'the execution timed out' });

    const { code, stdout } = await cli('start', '--target', 'orders-db', '--wait');

    expect(code).toBe(3);
    expect(stdout.split('\n')).toEqual([
      `TIMED_OUT ${started().name}: the execution ended before PublishReport, so there is no report`,
      '  error  States.Timeout',
      '  cause  the execution timed out',
      `What the drill made may still exist: look for resources tagged restore-drill:drill-id, and the execution's history (${started().arn}).`,
    ]);
  });

  it.each([
    [['start'], 'start needs --target NAME'],
    [['start', '--target', 'Orders!'], /^--target Orders!: must be lowercase letters/],
    [
      ['start', '--target', 'orders-db', '--stack', 's', '--state-machine-arn', STATE_MACHINE_ARN],
      'give --stack or --state-machine-arn, not both',
    ],
    [
      ['start', '--target', 'orders-db', '--state-machine-arn', 'restore-drill'],
      /^--state-machine-arn restore-drill is not a state machine ARN/,
    ],
  ])('exits 2 for %j before any AWS request', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]?.replace('restore-drill: ', '')).toMatch(message);
    expect(sfn).not.toHaveReceivedAnyCommand();
    expect(cfn).not.toHaveReceivedAnyCommand();
  });

  it('says in one line which action IAM denies, and exits 3', async () => {
    sfn.on(StartExecutionCommand).rejects(
      new SFNServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: {},
        message: `User: arn:aws:iam::123456789012:user/dev is not authorized to perform: states:StartExecution on resource: ${STATE_MACHINE_ARN}`,
      }),
    );
    const { code, stdout, stderr } = await cli('start', '--target', 'orders-db');
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'restore-drill: access denied: the AWS identity in use may not call states:StartExecution (AccessDeniedException); grant it in IAM, or use a profile that has it',
    );
  });
});

describe('watching an execution', () => {
  it('reads only the events after the last one seen, following nextToken, until the end', async () => {
    const { events } = drillHistory(passingState());
    // The history grows between polls; each poll begins with a request without nextToken.
    const visibleAtPoll = [30, 60, events.length];
    let polls = 0;
    sfn.on(GetExecutionHistoryCommand).callsFake((input) => {
      if (!input.nextToken) polls += 1;
      const visible = events.slice(0, visibleAtPoll[Math.min(polls, 3) - 1]);
      // Pages smaller than asked for, as the service may send: paging within a poll.
      return historyPages(() => visible)({ ...input, maxResults: 25 });
    });
    const lines: string[] = [];
    const io = { stdout: () => undefined, stderr: (line: string) => lines.push(line) };
    const arn = executionArn('orders-db-20260301t030000-a1b2c3');

    const ended = await watchExecution(new DrillExecutions(new SFNClient({})), arn, io, {
      pollMs: 0,
    });

    expect(ended).toBe(true);
    expect(polls).toBe(3);
    expect(lines).toEqual(print(events));
    const calls = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    for (const call of calls) {
      expect(call).toEqual({
        executionArn: arn,
        reverseOrder: true,
        includeExecutionData: true,
        maxResults: 100,
        nextToken: call.nextToken,
      });
    }
    expect(calls.filter((c) => c.nextToken).length).toBeGreaterThan(0);
  });

  it('stops when told, leaving the execution running', async () => {
    const { events } = new HistoryWriter().task('StartDrill', {});
    sfn.on(GetExecutionHistoryCommand).callsFake(historyPages(() => events));
    const interrupt = new AbortController();
    const io = { stdout: () => undefined, stderr: () => interrupt.abort() };
    const arn = executionArn('orders-db-20260301t030000-a1b2c3');
    const watching = watchExecution(new DrillExecutions(new SFNClient({})), arn, io, {
      pollMs: 60_000,
      signal: interrupt.signal,
    });
    expect(await watching).toBe(false);
  });
});

/** The progress lines a whole history prints in one go. */
function print(events: HistoryEvent[]): string[] {
  const lines: string[] = [];
  const printer = executionProgress((line) => lines.push(line));
  for (const event of events) printer(event);
  return lines;
}

describe('restore-drill status', () => {
  const arn = executionArn('orders-db-20260301t030000-a1b2c3');

  it('says a running drill is running, since when, and in which state', async () => {
    const { events } = new HistoryWriter()
      .task('StartDrill', {})
      .task('TakeSnapshot', {})
      .task('CheckSnapshot', { wait: { ready: true, seconds: 15, polls: 1 } })
      .choice('SnapshotReady')
      .task('RestoreInstance', {})
      .task('CheckInstance', { wait: { ready: false, seconds: 60, polls: 1 } })
      .choice('InstanceReady')
      .wait('WaitForInstance', 60_000);
    events.pop(); // still waiting
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: arn,
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'orders-db-20260301t030000-a1b2c3',
      status: 'RUNNING',
      startDate: NOW,
    });
    sfn.on(GetExecutionHistoryCommand).callsFake(historyPages(() => events));
    vi.setSystemTime(new Date(NOW.getTime() + 12 * 60_000));

    const { code, stdout } = await cli('status', arn);

    expect(code).toBe(0);
    expect(stdout.split('\n')).toEqual([
      'RUNNING orders-db-20260301t030000-a1b2c3',
      '  target   orders-db',
      '  started  2026-03-01T03:00:00.000Z (12 min 0 s ago)',
      '  now in   WaitForInstance',
    ]);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: arn,
    });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input).toEqual({
      executionArn: arn,
      reverseOrder: true,
      includeExecutionData: true,
      maxResults: 20,
      nextToken: undefined,
    });
  });

  it('gives a running drill as JSON with --json', async () => {
    const { events } = new HistoryWriter().task('StartDrill', {});
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: arn,
      stateMachineArn: STATE_MACHINE_ARN,
      name: 'orders-db-20260301t030000-a1b2c3',
      status: 'RUNNING',
      startDate: NOW,
    });
    sfn.on(GetExecutionHistoryCommand).callsFake(historyPages(() => events));
    const { code, stdout } = await cli('status', arn, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      executionArn: arn,
      name: 'orders-db-20260301t030000-a1b2c3',
      target: 'orders-db',
      status: 'RUNNING',
      startDate: NOW.toISOString(),
      currentState: 'StartDrill',
    });
  });

  it.each([
    [passingState(), 'SUCCEEDED', 0],
    [failingState(), 'FAILED', 1],
    [erroredState({ step: 'Verify', error: 'Error', message: 'connect ETIMEDOUT' }), 'FAILED', 3],
  ] as [DrillState, string, number][])(
    'prints the report of an ended drill and exits with its verdict (%#)',
    async (state, status, exit) => {
      const { events, reportAt } = drillHistory(state);
      ended(status, events);
      const { code, stdout } = await cli('status', arn);
      expect(stdout).toBe(`${renderText(buildReport(state, reportAt))}\n`);
      expect(code).toBe(exit);
      // The report is a few events from the end: read backwards, a small page.
      expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 1);
      expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input).toEqual({
        executionArn: arn,
        reverseOrder: true,
        includeExecutionData: true,
        maxResults: 25,
        nextToken: undefined,
      });
    },
  );

  it('exits 2 for something that is not an execution ARN, before any AWS request', async () => {
    const { code, stderr } = await cli('status', STATE_MACHINE_ARN);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^restore-drill: arn:.* is not a Step Functions execution ARN/);
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('says so in one line when there is no such execution, and exits 3', async () => {
    sfn.on(DescribeExecutionCommand).rejects(
      new SFNServiceException({
        name: 'ExecutionDoesNotExist',
        $fault: 'client',
        $metadata: {},
        message: `Execution Does Not Exist: '${arn}'`,
      }),
    );
    const { code, stderr } = await cli('status', arn);
    expect(code).toBe(3);
    expect(stderr).toBe(
      `restore-drill: no execution ${arn} in this account and region: check the ARN, AWS_REGION and AWS_PROFILE`,
    );
  });
});
