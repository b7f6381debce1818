import { ConfigError } from '#core/errors.ts';
import { defineCliCommand, EXIT } from './command.ts';
import { stateMachineArgs } from './deployed-stack.ts';

export default defineCliCommand({
  meta: { name: 'start', description: 'Start a drill of a target on the deployed stack' },
  args: {
    target: {
      type: 'string',
      valueHint: 'NAME',
      required: true,
      description: "the target to drill, by its name in the stack's configuration",
    },
    wait: {
      type: 'boolean',
      description: 'follow the drill until it ends, then print its report',
    },
    json: { type: 'boolean', description: 'print JSON on stdout: the execution, or the report' },
    ...stateMachineArgs,
  },
  notes: `Starts an execution of the deployed drill state machine with the input {"targetName": NAME};
the stack's StartDrill reads the target from its configuration (restore-drill config push).
Prints the execution's ARN, for restore-drill status. With --wait, prints progress on stderr
as the drill goes, then its report, and exits with its verdict; Ctrl-C stops the watching only,
the drill goes on.

AWS settings are the SDK's own: AWS_PROFILE or other credentials, AWS_REGION, AWS_ENDPOINT_URL.

Exit codes: 0 started (with --wait: PASS), 1 FAIL, 2 usage error, 3 ERROR (the drill, or AWS
            refused the request), 130 interrupted while waiting`,
  async run(flags, io) {
    const name = flags.target as string;
    const { targetSchema } = await import('#core/config.ts');
    const valid = targetSchema.shape.name.safeParse(name);
    if (!valid.success) {
      throw new ConfigError(`--target ${name}: ${valid.error.issues[0]?.message}`);
    }
    const { stateMachineArnOf } = await import('./deployed-stack.ts');
    const { drillExecutions, printOutcome, watchExecution } = await import('./executions.ts');
    const stateMachineArn = await stateMachineArnOf(flags);
    const executions = await drillExecutions();
    const started = await executions.start(stateMachineArn, name);
    if (!flags.wait) {
      io.stdout(flags.json ? JSON.stringify(started, null, 2) : started.executionArn);
      return EXIT.PASS;
    }
    io.stderr(`Started ${started.name}: ${started.executionArn}`);
    const interrupt = new AbortController();
    const onSignal = () => interrupt.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const ended = await watchExecution(executions, started.executionArn, io, {
        signal: interrupt.signal,
      });
      if (!ended) {
        io.stderr(
          `Stopped watching; the drill goes on. Follow it with: restore-drill status ${started.executionArn}`,
        );
        return EXIT.INTERRUPTED;
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const execution = await executions.describe(started.executionArn);
    return printOutcome(executions, execution, io, Boolean(flags.json));
  },
});
