import {
  CloudFormationClient,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { stateMachineArnPattern, topicArnPattern } from './arns.ts';

/** The outputs of a deployed restore-drill stack that the CLI works with. */
export const stackOutputNames = [
  'StateMachineArn',
  'ConfigBucket',
  'ConfigKey',
  'TopicArn',
] as const;
export type StackOutputName = (typeof stackOutputNames)[number];

/** The stack cannot be used: it does not exist, or it lacks an output, or holds a foreign one. */
export class StackOutputError extends Error {
  override name = 'StackOutputError';
}

/** What each output must look like, so a stack of another product is told apart. */
const shapes: Record<StackOutputName, { pattern: RegExp; is: string }> = {
  StateMachineArn: { pattern: stateMachineArnPattern, is: 'a Step Functions state machine ARN' },
  ConfigBucket: { pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, is: 'an S3 bucket name' },
  ConfigKey: { pattern: /^\S.*$/, is: 'an S3 object key' },
  TopicArn: { pattern: topicArnPattern, is: 'an SNS topic ARN' },
};

/**
 * Reads the named outputs of a deployed restore-drill stack (DescribeStacks). Every name asked
 * for must be there and look as it should, or the error names the stack and the output.
 */
export async function readStackOutputs<const N extends StackOutputName>(
  stackName: string,
  names: readonly N[],
  client: CloudFormationClient = new CloudFormationClient({}),
): Promise<Record<N, string>> {
  let stack: Stack | undefined;
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    stack = Stacks?.[0];
  } catch (error) {
    // CloudFormation says "Stack with id NAME does not exist" as a ValidationError.
    if ((error as Error).name === 'ValidationError' && /does not exist/.test(String(error))) {
      throw new StackOutputError(
        `stack ${stackName} does not exist in this account and region: check --stack, AWS_REGION and AWS_PROFILE`,
      );
    }
    throw error;
  }
  if (!stack) throw new StackOutputError(`stack ${stackName} does not exist`);
  const outputs = new Map((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const found = {} as Record<N, string>;
  for (const name of names) {
    const value = outputs.get(name);
    if (!value) {
      throw new StackOutputError(
        `stack ${stackName} (${stack.StackStatus}) has no output ${name}: is it a restore-drill stack, deployed from template.yaml?`,
      );
    }
    const shape = shapes[name];
    if (!shape.pattern.test(value)) {
      throw new StackOutputError(
        `stack ${stackName}'s output ${name} is not ${shape.is}: ${value}; is it a restore-drill stack?`,
      );
    }
    found[name] = value;
  }
  return found;
}
