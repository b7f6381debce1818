import { stateMachineArnPattern } from '#adapters/aws/arns.ts';
import type { ConfigLocation } from '#adapters/config-store/s3.ts';
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

/** How the config commands find the configuration object. */
export const configStoreArgs = {
  stack: {
    type: 'string',
    valueHint: 'NAME',
    description: `the deployed stack, whose ConfigBucket and ConfigKey outputs name the object (default ${DEFAULT_STACK})`,
  },
  bucket: {
    type: 'string',
    valueHint: 'NAME',
    description: 'the configuration bucket itself, without asking CloudFormation',
  },
  key: {
    type: 'string',
    valueHint: 'KEY',
    description: 'the object key in --bucket (default restore-drill/config.json)',
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

/** The config commands' flags name one place: a stack, or a bucket (and key). */
export function checkConfigStoreFlags(flags: { stack?: string; bucket?: string; key?: string }) {
  if (flags.bucket !== undefined && flags.stack !== undefined) {
    throw new ConfigError('give --stack or --bucket, not both');
  }
  if (flags.key !== undefined && flags.bucket === undefined) {
    throw new ConfigError('--key goes with --bucket');
  }
}

/** The configuration object: --bucket (and --key) as given, or the stack's outputs. */
export async function configLocationOf(flags: {
  stack?: string;
  bucket?: string;
  key?: string;
}): Promise<ConfigLocation> {
  checkConfigStoreFlags(flags);
  if (flags.bucket !== undefined) {
    const { DEFAULT_CONFIG_KEY } = await import('#adapters/config-store/s3.ts');
    return { bucket: flags.bucket, key: flags.key ?? DEFAULT_CONFIG_KEY };
  }
  const { readStackOutputs } = await import('#adapters/aws/stack-outputs.ts');
  const { ConfigBucket, ConfigKey } = await readStackOutputs(
    flags.stack ?? DEFAULT_STACK,
    ['ConfigBucket', 'ConfigKey'],
    await cloudFormation(),
  );
  return { bucket: ConfigBucket, key: ConfigKey };
}
