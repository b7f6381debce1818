/** The shapes of the ARNs the CLI is given or reads, checked before any request is sent. */

export const stateMachineArnPattern = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/;

export const executionArnPattern =
  /^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:[\w-]+:[\w-]{1,80}$/;

export const topicArnPattern = /^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w-]+$/;
