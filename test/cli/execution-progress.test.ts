import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { executionProgress } from '#cli/execution-progress.ts';
import { passingState } from '../fixtures/drill-state.ts';
import { drillHistory, HistoryWriter } from './deployed.ts';

function print(events: HistoryEvent[]): string[] {
  const lines: string[] = [];
  const printer = executionProgress((line) => lines.push(line));
  for (const event of events) printer(event);
  return lines;
}

const stale = { wait: { ready: false, seconds: 60, polls: 2 } };

describe('executionProgress', () => {
  it('prints each Task as it starts and ends, a poll loop as one state with its polls', () => {
    expect(print(drillHistory(passingState()).events)).toEqual([
      '  StartDrill ...',
      '  StartDrill done in 1.0 s',
      '  TakeSnapshot ...',
      '  TakeSnapshot done in 1.0 s',
      '  CheckSnapshot ...',
      '  CheckSnapshot done in 17.0 s, 2 polls',
      '  RestoreInstance ...',
      '  RestoreInstance done in 1.0 s',
      '  CheckInstance ...',
      '  CheckInstance done in 2 min 3 s, 3 polls',
      '  Verify ...',
      '  Verify done in 4.0 s',
      '  TearDown ...',
      '  TearDown done in 1.0 s',
      '  PublishReport ...',
      '  PublishReport done in 1.0 s',
    ]);
  });

  it('says a retried attempt is a retry, and a caught failure a failure with no done after it', () => {
    const cause = JSON.stringify({
      errorType: 'SnapshotFailedError',
      errorMessage: 'snapshot drill-orders-db-1 is failed',
      trace: [],
    });
    const { events } = new HistoryWriter()
      .task('TakeSnapshot', {}, { failures: [{ error: 'Lambda.ServiceException', cause: 'busy' }] })
      .task('CheckSnapshot', {}, { caught: { error: 'SnapshotFailedError', cause } })
      // The state still carries the last poll's wait: a TearDown or PublishReport after a failed
      // poll exits "not ready" without being a poll.
      .task('TearDown', stale)
      .task('PublishReport', stale)
      .choice('Verdict')
      .end('ExecutionFailed');
    expect(print(events)).toEqual([
      '  TakeSnapshot ...',
      '  TakeSnapshot retrying (attempt 2)',
      '  TakeSnapshot done in 2.0 s',
      '  CheckSnapshot ...',
      '  CheckSnapshot failed: SnapshotFailedError: snapshot drill-orders-db-1 is failed',
      '  TearDown ...',
      '  TearDown done in 1.0 s',
      '  PublishReport ...',
      '  PublishReport done in 1.0 s',
    ]);
  });

  it('says nothing more of a poll loop whose execution was stopped while it waited', () => {
    const { events } = new HistoryWriter()
      .task('CheckInstance', stale)
      .choice('InstanceReady')
      .wait('WaitForInstance', 60_000)
      .end('ExecutionAborted');
    expect(print(events)).toEqual(['  CheckInstance ...']);
  });

  it('says an uncaught failure failed', () => {
    const { events } = new HistoryWriter()
      .task('StartDrill', {}, { caught: { error: 'ConfigError', cause: 'no target named x' } })
      .end('ExecutionFailed');
    // The writer's caught attempt still exits; here the execution fails instead, as it does.
    const uncaught = events.filter((e) => e.type !== 'TaskStateExited');
    expect(print(uncaught)).toEqual([
      '  StartDrill ...',
      '  StartDrill failed: ConfigError: no target named x',
    ]);
  });
});
