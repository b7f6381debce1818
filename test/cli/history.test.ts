import 'aws-sdk-client-mock-vitest/extend';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { buildReport, seconds } from '#core/report.ts';
import { failingState, passingState } from '../fixtures/drill-state.ts';
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

const passed = drillHistory(passingState());
const failed = drillHistory(failingState());
const aborted = new HistoryWriter().task('StartDrill', {}).end('ExecutionAborted');

/** The state machine's executions, newest first, and the history of each. */
const executions: [ExecutionListItem, HistoryEvent[]][] = [
  [run('orders-db-20260303t030000-aaaaaa', 'RUNNING'), new HistoryWriter().events],
  [run('billing-20260303t020000-bbbbbb', 'SUCCEEDED'), passed.events],
  // A target whose name begins with another's, and a drill the schedule named.
  [run('orders-db-eu-20260302t040000-cccccc', 'SUCCEEDED'), passed.events],
  [run('3f2a9c1e-7d4b-4e8f-9a6c-0b1d2e3f4a5b', 'SUCCEEDED'), passed.events],
  [run('orders-db-20260302t030000-dddddd', 'FAILED'), failed.events],
  [run('orders-db-20260301t030000-eeeeee', 'SUCCEEDED'), passed.events],
  [run('orders-db-20260228t030000-ffffff', 'ABORTED'), aborted.events],
];

function run(name: string, status: string): ExecutionListItem {
  const stamp = /(\d{4})(\d\d)(\d\d)t(\d\d)/.exec(name);
  const startDate = stamp
    ? new Date(`${stamp[1]}-${stamp[2]}-${stamp[3]}T${stamp[4]}:00:00Z`)
    : new Date('2026-03-02T03:30:00Z');
  return {
    executionArn: executionArn(name),
    stateMachineArn: STATE_MACHINE_ARN,
    name,
    status: status as ExecutionListItem['status'],
    startDate,
    ...(status !== 'RUNNING' && { stopDate: new Date(startDate.getTime() + 1_800_000) }),
  };
}

/** Pages of ListExecutions as the service gives them: at most 4 here, whatever is asked. */
const PAGE = 4;

beforeEach(() => {
  sfn.reset();
  cfn.reset();
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'restore-drill',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: stackOutputs,
      },
    ],
  });
  sfn.on(ListExecutionsCommand).callsFake(({ maxResults, nextToken }) => {
    const from = nextToken ? Number(nextToken) : 0;
    const to = from + Math.min(maxResults ?? 100, PAGE);
    const page = executions.slice(from, to).map(([item]) => item);
    return { executions: page, ...(to < executions.length && { nextToken: String(to) }) };
  });
  sfn.on(GetExecutionHistoryCommand).callsFake((input) => {
    const found = executions.find(([item]) => item.executionArn === input.executionArn);
    return historyPages(() => found?.[1] ?? [])(input);
  });
});

const restoreTime = seconds(buildReport(passingState(), passed.reportAt).timings.restoreMs ?? 0);
const cellsOf = (line: string) => line.split(/ {2,}/);

describe('restore-drill history', () => {
  it("lists a target's drills newest first, paging, with each ended drill's verdict", async () => {
    const { code, stdout } = await cli('history', '--target', 'orders-db');

    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.map(cellsOf)).toEqual([
      ['STARTED', 'TARGET', 'STATUS', 'VERDICT', 'RESTORE', 'EXECUTION'],
      [
        '2026-03-03T03:00:00Z',
        'orders-db',
        'RUNNING',
        '-',
        '-',
        executionArn('orders-db-20260303t030000-aaaaaa'),
      ],
      [
        '2026-03-02T03:00:00Z',
        'orders-db',
        'FAILED',
        'FAIL',
        restoreTime,
        executionArn('orders-db-20260302t030000-dddddd'),
      ],
      [
        '2026-03-01T03:00:00Z',
        'orders-db',
        'SUCCEEDED',
        'PASS',
        restoreTime,
        executionArn('orders-db-20260301t030000-eeeeee'),
      ],
      [
        '2026-02-28T03:00:00Z',
        'orders-db',
        'ABORTED',
        '-',
        '-',
        executionArn('orders-db-20260228t030000-ffffff'),
      ],
    ]);
    // Aligned: every column starts where its header does.
    for (const header of ['TARGET', 'STATUS', 'VERDICT', 'RESTORE', 'EXECUTION']) {
      const at = lines[0]?.indexOf(header);
      for (const line of lines.slice(1)) expect(line[(at ?? 0) - 1]).toBe(' ');
    }
    expect(lines.slice(1).map((l) => l.indexOf('arn:'))).toEqual(
      Array(4).fill(lines[0]?.indexOf('EXECUTION')),
    );

    expect(cfn.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: 'restore-drill',
    });
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE_ARN, maxResults: 100, nextToken: undefined },
      { stateMachineArn: STATE_MACHINE_ARN, maxResults: 100, nextToken: '4' },
    ]);
    // Histories are read for the ended drills only.
    expect(
      sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input.executionArn),
    ).toEqual([
      executionArn('orders-db-20260302t030000-dddddd'),
      executionArn('orders-db-20260301t030000-eeeeee'),
      executionArn('orders-db-20260228t030000-ffffff'),
    ]);
  });

  it('stops paging once it has --limit drills', async () => {
    const { code, stdout } = await cli(
      'history',
      '--limit',
      '6',
      '--state-machine-arn',
      STATE_MACHINE_ARN,
    );
    expect(code).toBe(0);
    expect(
      stdout
        .split('\n')
        .slice(1)
        .map((l) => cellsOf(l)[1]),
    ).toEqual(['orders-db', 'billing', 'orders-db-eu', '-', 'orders-db', 'orders-db']);
    expect(cfn).not.toHaveReceivedAnyCommand();
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE_ARN, maxResults: 6, nextToken: undefined },
      { stateMachineArn: STATE_MACHINE_ARN, maxResults: 6, nextToken: '4' },
    ]);
  });

  it('asks for 10 drills unless told otherwise', async () => {
    await cli('history');
    expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input.maxResults).toBe(10);
  });

  it('prints a JSON array with --json', async () => {
    const { code, stdout } = await cli(
      'history',
      '--target',
      'orders-db',
      '--limit',
      '2',
      '--json',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      {
        executionArn: executionArn('orders-db-20260303t030000-aaaaaa'),
        name: 'orders-db-20260303t030000-aaaaaa',
        target: 'orders-db',
        status: 'RUNNING',
        startDate: '2026-03-03T03:00:00.000Z',
      },
      {
        executionArn: executionArn('orders-db-20260302t030000-dddddd'),
        name: 'orders-db-20260302t030000-dddddd',
        target: 'orders-db',
        status: 'FAILED',
        startDate: '2026-03-02T03:00:00.000Z',
        stopDate: '2026-03-02T03:30:00.000Z',
        verdict: 'FAIL',
        restoreMs: buildReport(failingState(), failed.reportAt).timings.restoreMs,
        summary: 'FAIL orders-db: rows:orders failed',
      },
    ]);
  });

  it('says when there are no drills of a target', async () => {
    const { code, stdout, stderr } = await cli('history', '--target', 'payments');
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toBe(`No drills of payments on ${STATE_MACHINE_ARN} yet.`);
  });

  it.each(['0', '1001', 'ten', '2.5'])('exits 2 for --limit %s', async (limit) => {
    const { code, stderr } = await cli('history', '--limit', limit);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^restore-drill: --limit must be a whole number from 1 to 1000\n/);
    expect(sfn).not.toHaveReceivedAnyCommand();
  });
});

describe('a stack that is not a restore-drill stack', () => {
  it('exits 3 naming a stack that does not exist', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Stack with id drills-us does not exist',
      }),
    );
    const { code, stderr } = await cli('history', '--stack', 'drills-us');
    expect(code).toBe(3);
    expect(stderr).toBe(
      'restore-drill: stack drills-us does not exist in this account and region: check --stack, AWS_REGION and AWS_PROFILE',
    );
    expect(sfn).not.toHaveReceivedAnyCommand();
  });

  it('exits 3 naming the output a foreign stack lacks', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'shop-api',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [{ OutputKey: 'ApiUrl', OutputValue: 'https://api.example.com' }],
        },
      ],
    });
    const { code, stderr } = await cli('history', '--stack', 'shop-api');
    expect(code).toBe(3);
    expect(stderr).toBe(
      'restore-drill: stack shop-api (CREATE_COMPLETE) has no output StateMachineArn: is it a restore-drill stack, deployed from template.yaml?',
    );
  });

  it('exits 3 when the output holds something other than a state machine', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'shop-api',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [
            {
              OutputKey: 'StateMachineArn',
              OutputValue: 'arn:aws:lambda:eu-west-1:123456789012:function:f',
            },
          ],
        },
      ],
    });
    const { code, stderr } = await cli('history', '--stack', 'shop-api');
    expect(code).toBe(3);
    expect(stderr).toBe(
      "restore-drill: stack shop-api's output StateMachineArn is not a Step Functions state machine ARN: arn:aws:lambda:eu-west-1:123456789012:function:f; is it a restore-drill stack?",
    );
  });
});
