/** A deployed stack as the CLI's tests see it: its outputs, executions and their histories. */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { main } from '#cli/main.ts';
import { buildReport } from '#core/report.ts';
import type { DrillState } from '#core/state.ts';

export const ACCOUNT = '123456789012';
export const STATE_MACHINE_ARN = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:restore-drill-Drill`;
export const executionArn = (name: string) =>
  `arn:aws:states:eu-west-1:${ACCOUNT}:execution:restore-drill-Drill:${name}`;

/** The outputs of a deployed restore-drill stack. */
export const stackOutputs = [
  { OutputKey: 'StateMachineArn', OutputValue: STATE_MACHINE_ARN },
  { OutputKey: 'ConfigBucket', OutputValue: 'restore-drill-config-a1b2c3' },
  { OutputKey: 'ConfigKey', OutputValue: 'restore-drill/config.json' },
  { OutputKey: 'TopicArn', OutputValue: `arn:aws:sns:eu-west-1:${ACCOUNT}:restore-drill-reports` },
];

/** Runs the CLI in this process, capturing what it prints. */
export async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** The final state PublishReport hands on: the drill's state with its verdict and summary. */
export function reportOutput(state: DrillState, at: Date) {
  const report = buildReport(state, at);
  return { ...state, verdict: report.status, summary: report.summary };
}

/**
 * Writes an execution's history event by event, as Step Functions records it for the drill's
 * `lambda:invoke` Tasks: entered, scheduled, started, succeeded or failed, exited.
 */
export class HistoryWriter {
  readonly events: HistoryEvent[] = [];
  private now: number;

  constructor(startedAt = '2026-03-01T03:00:00.000Z') {
    this.now = Date.parse(startedAt);
    this.add('ExecutionStarted', {
      executionStartedEventDetails: { input: '{"targetName":"orders-db"}' },
    });
  }

  get time(): Date {
    return new Date(this.now);
  }

  private add(type: string, details: Partial<HistoryEvent> = {}, afterMs = 0): this {
    this.now += afterMs;
    this.events.push({
      id: this.events.length + 1,
      previousEventId: this.events.length,
      type: type as HistoryEvent['type'],
      timestamp: new Date(this.now),
      ...details,
    });
    return this;
  }

  /**
   * One Task state: each of `failures` is an attempt that failed and was retried; `caught` is a
   * last attempt that failed and was caught (the state still exits, with `output`).
   */
  task(
    name: string,
    output: object,
    {
      ms = 1000,
      failures = [],
      caught,
    }: {
      ms?: number;
      failures?: { error: string; cause: string }[];
      caught?: { error: string; cause: string };
    } = {},
  ): this {
    this.add('TaskStateEntered', { stateEnteredEventDetails: { name, input: '{}' } }, 10);
    const attempt = (outcome: HistoryEvent['type'], details: Partial<HistoryEvent>) =>
      this.add('TaskScheduled', {
        taskScheduledEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke',
          region: 'eu-west-1',
          parameters: '{}',
        },
      })
        .add('TaskStarted', {
          taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' },
        })
        .add(outcome as string, details, ms);
    const failed = (f: { error: string; cause: string }) => ({
      taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', ...f },
    });
    for (const failure of failures) attempt('TaskFailed', failed(failure));
    if (caught) attempt('TaskFailed', failed(caught));
    else attempt('TaskSucceeded', {});
    return this.add('TaskStateExited', {
      stateExitedEventDetails: { name, output: JSON.stringify(output) },
    });
  }

  choice(name: string): this {
    return this.add('ChoiceStateEntered', { stateEnteredEventDetails: { name } }, 5).add(
      'ChoiceStateExited',
      { stateExitedEventDetails: { name } },
    );
  }

  wait(name: string, ms: number): this {
    return this.add('WaitStateEntered', { stateEnteredEventDetails: { name } }, 5).add(
      'WaitStateExited',
      { stateExitedEventDetails: { name } },
      ms,
    );
  }

  /** The Succeed or Fail state after Verdict, and the execution's end. */
  end(
    type: 'ExecutionSucceeded' | 'ExecutionFailed' | 'ExecutionAborted' | 'ExecutionTimedOut',
    details: Partial<HistoryEvent> = {},
  ): this {
    if (type === 'ExecutionSucceeded') this.add('SucceedStateEntered', {}, 5);
    if (type === 'ExecutionFailed') this.add('FailStateEntered', {}, 5);
    return this.add(type, details, 5);
  }
}

/**
 * A whole drill as Step Functions records it: a snapshot polled twice, a restored copy polled
 * three times, checks, teardown and the report. `final` is the state PublishReport hands on.
 */
export function drillHistory(final: DrillState): { events: HistoryEvent[]; reportAt: Date } {
  const writer = new HistoryWriter()
    .task('StartDrill', { drillId: final.drillId })
    .task('TakeSnapshot', {})
    .task('CheckSnapshot', { wait: { ready: false, seconds: 15, polls: 1 } })
    .choice('SnapshotReady')
    .wait('WaitForSnapshot', 15_000)
    .task('CheckSnapshot', { wait: { ready: true, seconds: 15, polls: 2 } })
    .choice('SnapshotReady')
    .task('RestoreInstance', {});
  for (const polls of [1, 2]) {
    writer
      .task('CheckInstance', { wait: { ready: false, seconds: 60, polls } })
      .choice('InstanceReady')
      .wait('WaitForInstance', 60_000);
  }
  writer
    .task('CheckInstance', { wait: { ready: true, seconds: 60, polls: 3 } })
    .choice('InstanceReady')
    .task('Verify', {}, { ms: 4000 })
    .task('TearDown', {});
  const reportAt = new Date(writer.time.getTime() + 10 + 1000);
  writer.task('PublishReport', reportOutput(final, reportAt)).choice('Verdict');
  const verdict = reportOutput(final, reportAt).verdict;
  writer.end(verdict === 'PASS' ? 'ExecutionSucceeded' : 'ExecutionFailed');
  return { events: writer.events, reportAt };
}

/**
 * GetExecutionHistory as Step Functions answers it: pages of `maxResults` (default 100), newest
 * first with reverseOrder, each with a nextToken while events remain.
 */
export function historyPages(events: () => HistoryEvent[]) {
  return (input: { reverseOrder?: boolean; maxResults?: number; nextToken?: string }) => {
    const ordered = input.reverseOrder ? [...events()].reverse() : events();
    const from = input.nextToken ? Number(input.nextToken.replace('page-from-', '')) : 0;
    const size = input.maxResults || 100;
    const page = ordered.slice(from, from + size);
    const more = from + size < ordered.length;
    return { events: page, ...(more && { nextToken: `page-from-${from + size}` }) };
  };
}
