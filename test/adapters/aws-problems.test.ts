import { SFNServiceException } from '@aws-sdk/client-sfn';
import { SNSServiceException } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { awsProblem } from '#adapters/aws/problems.ts';

/** An error as the SDK's clients throw it for a refusal by the service. */
const refusal = (name: string, message: string) =>
  new SFNServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });

/** A failure below the SDK (DNS, TCP), as Node raises it and the SDK passes it on. */
const network = (message: string, fields: object) =>
  Object.assign(new Error(message), { $metadata: { attempts: 3 } }, fields);

describe('awsProblem', () => {
  it('says there are no credentials, and where they come from', () => {
    const error = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    expect(awsProblem(error)).toBe(
      'no usable AWS credentials (Could not load credentials from any providers): set AWS_PROFILE (after aws configure or aws sso login), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  });

  it('tells an expired SSO session from missing credentials', () => {
    const error = Object.assign(
      new Error(
        'The SSO session associated with this profile has expired or is otherwise invalid.',
      ),
      { name: 'CredentialsProviderError' },
    );
    expect(awsProblem(error)).toMatch(/^the AWS credentials have expired .*aws sso login/);
  });

  it.each(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired'])(
    'says the credentials have expired for %s',
    (name) => {
      expect(
        awsProblem(refusal(name, 'The security token included in the request is expired')),
      ).toBe(
        `the AWS credentials have expired (${name}): refresh them (aws sso login, or new temporary keys) and try again`,
      );
    },
  );

  it.each(['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidAccessKeyId'])(
    'says the credentials are not accepted for %s',
    (name) => {
      expect(
        awsProblem(refusal(name, 'The security token included in the request is invalid.')),
      ).toBe(
        `AWS does not accept these credentials (${name}): check AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      );
    },
  );

  it.each(['InvalidSignatureException', 'SignatureDoesNotMatch'])(
    'adds the clock to what to check for %s',
    (name) => {
      expect(awsProblem(refusal(name, 'Signature expired'))).toMatch(
        /^AWS does not accept these credentials .* and that the clock of this machine is right$/,
      );
    },
  );

  it('says the region is missing', () => {
    expect(awsProblem(new Error('Region is missing'))).toBe(
      'no AWS region is set: set AWS_REGION (e.g. AWS_REGION=eu-west-1), or a region in the profile AWS_PROFILE names',
    );
  });

  it('names the endpoint it cannot reach, and the settings that choose it', () => {
    const refused = network('connect ECONNREFUSED 127.0.0.1:4566', {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 4566,
    });
    expect(awsProblem(refused)).toBe(
      'cannot reach the AWS endpoint 127.0.0.1:4566 (ECONNREFUSED): check AWS_REGION, and AWS_ENDPOINT_URL if it is set',
    );
    const unknownHost = network('getaddrinfo ENOTFOUND states.eu-wset-1.amazonaws.com', {
      code: 'ENOTFOUND',
      hostname: 'states.eu-wset-1.amazonaws.com',
    });
    expect(awsProblem(unknownHost)).toBe(
      'cannot reach the AWS endpoint states.eu-wset-1.amazonaws.com (ENOTFOUND): check AWS_REGION, and AWS_ENDPOINT_URL if it is set',
    );
  });

  it('names the action an identity is not authorized to perform', () => {
    const error = refusal(
      'AccessDeniedException',
      'User: arn:aws:iam::123456789012:user/dev is not authorized to perform: states:StartExecution on resource: arn:aws:states:eu-west-1:123456789012:stateMachine:restore-drill because no identity-based policy allows the states:StartExecution action',
    );
    expect(awsProblem(error)).toBe(
      'access denied: the AWS identity in use may not call states:StartExecution (AccessDeniedException); grant it in IAM, or use a profile that has it',
    );
  });

  it.each([
    ['AccessDenied', 'Access Denied'],
    ['AuthorizationError', 'User is not authorized'],
  ])('says access is denied for %s, even without an action', (name, message) => {
    const error = new SNSServiceException({ name, message, $fault: 'client', $metadata: {} });
    expect(awsProblem(error)).toBe(
      `access denied: the AWS identity in use may not do what this command asks (${name}); grant it in IAM, or use a profile that has it`,
    );
  });

  it('looks through a wrapper at the SDK error it keeps as its cause', () => {
    const wrapped = new Error('reading the stack failed', {
      cause: network('getaddrinfo EAI_AGAIN cloudformation.eu-west-1.amazonaws.com', {
        code: 'EAI_AGAIN',
        hostname: 'cloudformation.eu-west-1.amazonaws.com',
      }),
    });
    expect(awsProblem(wrapped)).toMatch(/^cannot reach the AWS endpoint cloudformation/);
  });

  it('leaves every other error alone', () => {
    expect(
      awsProblem(refusal('ExecutionDoesNotExist', 'Execution Does Not Exist')),
    ).toBeUndefined();
    expect(awsProblem(refusal('ThrottlingException', 'Rate exceeded'))).toBeUndefined();
    expect(awsProblem(new TypeError('x is not a function'))).toBeUndefined();
    expect(awsProblem('a string')).toBeUndefined();
    expect(awsProblem(undefined)).toBeUndefined();
  });
});
