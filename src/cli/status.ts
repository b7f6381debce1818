import { executionArnPattern } from '#adapters/aws/arns.ts';
import { ConfigError } from '#core/errors.ts';
import { seconds } from '#core/report.ts';
import { defineCliCommand, EXIT } from './command.ts';

export default defineCliCommand({
  meta: { name: 'status', description: 'Show how a deployed drill is going, or how it ended' },
  args: {
    'execution-arn': {
      type: 'positional',
      description: 'the drill execution, as start or history print it',
    },
    json: { type: 'boolean', description: 'print JSON on stdout: the execution, or the report' },
  },
  notes: `A running drill: its status, start time and the state it is in (exit 0). An ended drill: its
report, rebuilt from the final state PublishReport saw, and the exit code of its verdict; a drill
that ended before reporting (aborted, timed out): its status, error and cause (exit 3).

Exit codes: 0 PASS or still running, 1 FAIL, 2 usage error, 3 ERROR (the drill, or AWS
            refused the request)`,
  async run(flags, io) {
    const executionArn = flags['execution-arn'] as string;
    if (!executionArnPattern.test(executionArn)) {
      throw new ConfigError(
        `${executionArn} is not a Step Functions execution ARN (arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME)`,
      );
    }
    const { drillExecutions, printOutcome } = await import('./executions.ts');
    const executions = await drillExecutions();
    const execution = await executions.describe(executionArn);
    if (execution.status !== 'RUNNING') {
      return printOutcome(executions, execution, io, Boolean(flags.json));
    }
    const currentState = await executions.currentState(executionArn);
    const { name, target, status, startDate } = execution;
    if (flags.json) {
      io.stdout(
        JSON.stringify({ executionArn, name, target, status, startDate, currentState }, null, 2),
      );
      return EXIT.PASS;
    }
    io.stdout(`${status} ${name}`);
    if (target) io.stdout(`  target   ${target}`);
    io.stdout(
      `  started  ${startDate.toISOString()} (${seconds(Date.now() - startDate.getTime())} ago)`,
    );
    if (currentState) io.stdout(`  now in   ${currentState}`);
    return EXIT.PASS;
  },
});
