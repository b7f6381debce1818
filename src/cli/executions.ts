import { setTimeout as sleep } from 'node:timers/promises';
import type { DrillExecution, DrillExecutions } from '#adapters/aws/drill-executions.ts';
import { renderText } from '#core/report.ts';
import { EXIT, type Io } from './command.ts';
import { cliAwsSettings } from './deployed-stack.ts';
import { executionProgress } from './execution-progress.ts';

/** The drill state machine's executions, through a Step Functions client with the CLI's settings. */
export async function drillExecutions(): Promise<DrillExecutions> {
  const [{ SFNClient }, { DrillExecutions }] = await Promise.all([
    import('@aws-sdk/client-sfn'),
    import('#adapters/aws/drill-executions.ts'),
  ]);
  return new DrillExecutions(new SFNClient(cliAwsSettings));
}

const endOfExecution = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
]);

/**
 * Follows an execution's history until it ends, printing each Task state as it starts and ends.
 * Returns false if `signal` stopped the watching first (the execution goes on regardless).
 */
export async function watchExecution(
  executions: DrillExecutions,
  executionArn: string,
  io: Io,
  { pollMs = 5000, signal }: { pollMs?: number; signal?: AbortSignal } = {},
): Promise<boolean> {
  const print = executionProgress(io.stderr);
  let lastId = 0;
  for (;;) {
    const events = await executions.eventsAfter(executionArn, lastId);
    for (const event of events) {
      print(event);
      lastId = Math.max(lastId, event.id ?? lastId);
    }
    if (events.some((event) => endOfExecution.has(event.type ?? ''))) return true;
    if (signal?.aborted) return false;
    try {
      await sleep(pollMs, undefined, { signal });
    } catch {
      return false;
    }
  }
}

/**
 * Prints how an ended execution came out and returns the exit code of its verdict: the drill's
 * report, rebuilt from its final state, or, when it ended without one, its status, error and
 * cause (exit 3).
 */
export async function printOutcome(
  executions: DrillExecutions,
  execution: DrillExecution,
  io: Io,
  json: boolean,
): Promise<number> {
  const report = await executions.report(execution);
  if (report) {
    io.stdout(json ? JSON.stringify(report, null, 2) : `${renderText(report)}\n`);
    return EXIT[report.status];
  }
  const { executionArn, name, status, error, cause } = execution;
  if (json) {
    io.stdout(JSON.stringify({ executionArn, name, status, error, cause }, null, 2));
  } else {
    io.stdout(`${status} ${name}: the execution ended before PublishReport, so there is no report`);
    if (error) io.stdout(`  error  ${error}`);
    if (cause) io.stdout(`  cause  ${cause}`);
    io.stdout(
      `What the drill made may still exist: look for resources tagged restore-drill:drill-id, and the execution's history (${executionArn}).`,
    );
  }
  return EXIT.ERROR;
}
