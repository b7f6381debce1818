import { seconds } from '#core/report.ts';
import { type EventLog, loadDefinition, pollTasks } from '#local/workflow.ts';

type Write = (line: string) => void;

const waitOf = (output: unknown) => (output as { wait?: { ready: boolean } } | undefined)?.wait;

/** Verification that is to go on in another invocation: what it has left, if anything. */
const resumeOf = (output: unknown) =>
  (output as { verification?: { resume?: object } } | undefined)?.verification?.resume;

/**
 * Turns the interpreter's event log into one line as each state starts and one as it ends,
 * with its time, for each Task state. A poll loop (Check, Choice, Wait, Check...) shows as one
 * state: from its first poll until the resource is ready, with the number of polls; so does a
 * verification that takes several invocations.
 */
export function progressPrinter(
  write: Write,
  pollStates: ReadonlySet<string> = pollTasks(loadDefinition()),
): (event: EventLog) => void {
  const started = new Map<string, { at: number; entries: number }>();
  const failed = new Set<string>();
  return (event) => {
    if (!('state' in event) || event.state.type !== 'Task') return;
    const { name } = event.state;
    switch (event.type) {
      case 'StateEntered': {
        const loop = started.get(name);
        if (loop) {
          loop.entries += 1; // another poll of a loop already under way
          return;
        }
        started.set(name, { at: event.timestamp, entries: 1 });
        write(`  ${name} ...`);
        return;
      }
      case 'StateExited': {
        // A caught failure also exits the state: its failure line has said all there is.
        if (failed.delete(name)) return;
        const polling = pollStates.has(name);
        if (polling && waitOf(event.state.output)?.ready === false) return;
        if (resumeOf(event.state.output)) return;
        const { at, entries } = started.get(name) ?? { at: event.timestamp, entries: 1 };
        const polls = entries > 1 ? `, ${entries} ${polling ? 'polls' : 'invocations'}` : '';
        write(`  ${name} done in ${seconds(event.timestamp - at)}${polls}`);
        started.delete(name);
        return;
      }
      case 'StateRetried':
        write(`  ${name} retrying (attempt ${event.retry.attempt + 1})`);
        return;
      case 'StateFailed': {
        const cause =
          typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause ?? '');
        write(`  ${name} failed: ${event.Error}${cause ? `: ${cause}` : ''}`);
        started.delete(name);
        failed.add(name);
        return;
      }
      default:
        return;
    }
  };
}
