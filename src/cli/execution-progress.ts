import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { causeMessage, seconds } from '#core/report.ts';

type Write = (line: string) => void;

const failures = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
]);

/** The error and cause any of the failure events carries. */
function failureOf(event: HistoryEvent): { error?: string; cause?: string } {
  return (
    event.taskFailedEventDetails ??
    event.taskTimedOutEventDetails ??
    event.taskStartFailedEventDetails ??
    event.taskSubmitFailedEventDetails ??
    event.lambdaFunctionFailedEventDetails ??
    event.lambdaFunctionTimedOutEventDetails ??
    {}
  );
}

function notReady(output: string | undefined): boolean {
  try {
    return (JSON.parse(output ?? '{}') as { wait?: { ready?: boolean } }).wait?.ready === false;
  } catch {
    return false;
  }
}

/**
 * Turns a deployed execution's history into the lines a local run prints: one as each Task state
 * starts and one as it ends, with its time; retries and failures as they happen. A poll loop
 * (Check, Choice, Wait, Check...) shows as one state, from its first poll until the resource is
 * ready, with the number of polls.
 *
 * The history says what happened only by what follows: a failed attempt is a retry if the Task is
 * scheduled again, and a Task that exited not ready is one poll of a loop if a Wait and the same
 * Task follow. So each is held until the events after it tell.
 */
export function executionProgress(write: Write): (event: HistoryEvent) => void {
  const started = new Map<string, { at: number; entries: number }>();
  const failed = new Set<string>();
  let current: string | undefined;
  let attempts = 0;
  let heldFailure: { name: string; error: string; cause: string } | undefined;
  /** A Task that exited not ready: `waiting` once the Wait of its loop began. */
  let heldExit: { name: string; at: number; waiting: boolean } | undefined;

  const done = (name: string, at: number) => {
    const { at: from, entries } = started.get(name) ?? { at, entries: 1 };
    write(`  ${name} done in ${seconds(at - from)}${entries > 1 ? `, ${entries} polls` : ''}`);
    started.delete(name);
  };

  return (event) => {
    const at = event.timestamp?.getTime() ?? Date.now();
    if (heldFailure) {
      const { name, error, cause } = heldFailure;
      heldFailure = undefined;
      if (event.type === 'TaskScheduled' || event.type === 'LambdaFunctionScheduled') {
        write(`  ${name} retrying (attempt ${attempts + 1})`);
      } else {
        write(`  ${name} failed: ${error}${cause ? `: ${cause}` : ''}`);
        started.delete(name);
        failed.add(name);
      }
    }
    switch (event.type) {
      case 'TaskStateEntered': {
        const name = event.stateEnteredEventDetails?.name ?? '?';
        current = name;
        attempts = 0;
        if (heldExit) {
          const held = heldExit;
          heldExit = undefined;
          const loop = started.get(name);
          if (held.waiting && held.name === name && loop) {
            loop.entries += 1; // another poll of a loop already under way
            return;
          }
          done(held.name, held.at);
        }
        started.set(name, { at, entries: 1 });
        write(`  ${name} ...`);
        return;
      }
      case 'TaskScheduled':
      case 'LambdaFunctionScheduled':
        attempts += 1;
        return;
      case 'TaskStateExited': {
        const name = event.stateExitedEventDetails?.name ?? '?';
        // A caught failure also exits the state: its failure line has said all there is.
        if (failed.delete(name)) return;
        if (notReady(event.stateExitedEventDetails?.output)) {
          heldExit = { name, at, waiting: false };
          return;
        }
        done(name, at);
        return;
      }
      case 'WaitStateEntered':
        if (heldExit) heldExit.waiting = true;
        return;
      case 'SucceedStateEntered':
      case 'FailStateEntered':
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimedOut':
        // The end: a Task that exited is done, unless it was waiting to poll again.
        if (heldExit && !heldExit.waiting) done(heldExit.name, heldExit.at);
        heldExit = undefined;
        return;
      default:
        if (event.type && failures.has(event.type)) {
          const { error, cause } = failureOf(event);
          heldFailure = {
            name: current ?? '?',
            error: error ?? 'Error',
            cause: causeMessage(cause),
          };
        }
        return;
    }
  };
}
