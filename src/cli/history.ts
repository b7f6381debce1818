import type { DrillExecution } from '#adapters/aws/drill-executions.ts';
import { ConfigError } from '#core/errors.ts';
import { seconds } from '#core/report.ts';
import { defineCliCommand, EXIT } from './command.ts';
import { stateMachineArgs } from './deployed-stack.ts';

const MAX_LIMIT = 1000;

export default defineCliCommand({
  meta: { name: 'history', description: 'List the recent drills of the deployed stack' },
  args: {
    target: { type: 'string', valueHint: 'NAME', description: 'only the drills of this target' },
    limit: {
      type: 'string',
      valueHint: 'N',
      description: 'how many drills, newest first (default 10)',
    },
    json: { type: 'boolean', description: 'print a JSON array on stdout' },
    ...stateMachineArgs,
  },
  notes: `One line a drill, newest first: when it started, its target, the execution's status, and for
an ended drill its verdict and restore time, read from its report. The last column is the
execution's ARN, for restore-drill status. The target is read off the execution's name, as
restore-drill start gives it; --target lists those.

Exit codes: 0 listed, 2 usage error, 3 AWS refused the request`,
  async run(flags, io) {
    const limit = flags.limit === undefined ? 10 : Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new ConfigError(`--limit must be a whole number from 1 to ${MAX_LIMIT}`);
    }
    const { stateMachineArnOf } = await import('./deployed-stack.ts');
    const { drillExecutions } = await import('./executions.ts');
    const stateMachineArn = await stateMachineArnOf(flags);
    const executions = await drillExecutions();
    const listed = await executions.list(stateMachineArn, {
      limit,
      ...(flags.target !== undefined && { target: flags.target }),
    });
    const rows: Row[] = [];
    for (const execution of listed) {
      const report = await executions.report(execution);
      rows.push({
        ...execution,
        verdict: report?.status,
        restoreMs: report?.timings.restoreMs ?? undefined,
        summary: report?.summary,
      });
    }
    if (flags.json) {
      io.stdout(JSON.stringify(rows, null, 2));
      return EXIT.PASS;
    }
    if (!rows.length) {
      const which = flags.target === undefined ? 'drills' : `drills of ${flags.target}`;
      io.stderr(`No ${which} on ${stateMachineArn} yet.`);
      return EXIT.PASS;
    }
    for (const line of table(rows)) io.stdout(line);
    return EXIT.PASS;
  },
});

interface Row extends DrillExecution {
  verdict: string | undefined;
  restoreMs: number | undefined;
  summary: string | undefined;
}

/** The rows as aligned columns under a header. */
function table(rows: Row[]): string[] {
  const cells = [
    ['STARTED', 'TARGET', 'STATUS', 'VERDICT', 'RESTORE', 'EXECUTION'],
    ...rows.map((row) => [
      `${row.startDate.toISOString().slice(0, 19)}Z`,
      row.target ?? '-',
      row.status,
      row.verdict ?? '-',
      row.restoreMs === undefined ? '-' : seconds(row.restoreMs),
      row.executionArn,
    ]),
  ];
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((line) => line[i]?.length ?? 0)));
  return cells.map((line) =>
    line
      .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths?.[i] ?? 0)))
      .join('  '),
  );
}
