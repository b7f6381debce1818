import { stateMachineArnPattern } from '#adapters/aws/arns.ts';
import { ConfigError } from '#core/errors.ts';

/** The stack `sam deploy` creates unless told otherwise. */
export const DEFAULT_STACK = 'restore-drill';

/**
 * The settings of every AWS client the CLI builds: the SDK's own credential chain, region and
 * endpoint settings (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>),
 * and few attempts, so that a wrong set-up fails in seconds rather than after a minute of retries.
 */
export const cliAwsSettings = { maxAttempts: 3 } as const;

/** How the commands that drive executions find the drill state machine. */
export const stateMachineArgs = {
  stack: {
    type: 'string',
    valueHint: 'NAME',
    description: `the deployed stack, whose StateMachineArn output names the state machine (default ${DEFAULT_STACK})`,
  },
  'state-machine-arn': {
    type: 'string',
    valueHint: 'ARN',
    description: 'the drill state machine itself, without asking CloudFormation',
  },
} as const;

const cloudFormation = async () => {
  const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
  return new CloudFormationClient(cliAwsSettings);
};

/** The drill state machine: --state-machine-arn as given, or the stack's StateMachineArn output. */
export async function stateMachineArnOf(flags: {
  stack?: string;
  'state-machine-arn'?: string;
}): Promise<string> {
  const arn = flags['state-machine-arn'];
  if (arn !== undefined) {
    if (flags.stack !== undefined) {
      throw new ConfigError('give --stack or --state-machine-arn, not both');
    }
    if (!stateMachineArnPattern.test(arn)) {
      throw new ConfigError(
        `--state-machine-arn ${arn} is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)`,
      );
    }
    return arn;
  }
  const { readStackOutputs } = await import('#adapters/aws/stack-outputs.ts');
  const stack = flags.stack ?? DEFAULT_STACK;
  const { StateMachineArn } = await readStackOutputs(
    stack,
    ['StateMachineArn'],
    await cloudFormation(),
  );
  return StateMachineArn;
}
