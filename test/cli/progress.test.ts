import { describe, expect, it } from 'vitest';
import { progressPrinter } from '#cli/progress.ts';
import type { EventLog } from '#local/workflow.ts';

const task = (name: string, output?: unknown) => ({ name, type: 'Task', input: {}, output });

function print(events: object[]): string[] {
  const lines: string[] = [];
  const printer = progressPrinter((line) => lines.push(line));
  for (const event of events) printer(event as EventLog);
  return lines;
}

describe('progressPrinter', () => {
  it('folds a poll loop into one start and one end line, with the number of polls', () => {
    const waiting = { wait: { ready: false } };
    const lines = print([
      { type: 'StateEntered', timestamp: 0, state: task('CheckInstance') },
      { type: 'StateExited', timestamp: 10, state: task('CheckInstance', waiting) },
      { type: 'StateEntered', timestamp: 1000, state: task('CheckInstance') },
      {
        type: 'StateExited',
        timestamp: 1500,
        state: task('CheckInstance', { wait: { ready: true } }),
      },
    ]);
    expect(lines).toEqual(['  CheckInstance ...', '  CheckInstance done in 1.5 s, 2 polls']);
  });

  it('says a step failed, and not also that it is done', () => {
    const lines = print([
      { type: 'StateEntered', timestamp: 0, state: task('Verify') },
      {
        type: 'StateFailed',
        timestamp: 5,
        state: task('Verify'),
        Error: 'RestoreFailedError',
        Cause: 'gone',
      },
      { type: 'StateExited', timestamp: 6, state: task('Verify') },
    ]);
    expect(lines).toEqual(['  Verify ...', '  Verify failed: RestoreFailedError: gone']);
  });

  it('shows steps after a failed poll as done, whatever wait the drill state still carries', () => {
    const stale = { wait: { ready: false } };
    const lines = print([
      { type: 'StateEntered', timestamp: 0, state: task('TearDown') },
      { type: 'StateExited', timestamp: 40, state: task('TearDown', stale) },
    ]);
    expect(lines).toEqual(['  TearDown ...', '  TearDown done in 40 ms']);
  });
});
