/**
 * Recognises the AWS SDK errors that are about the caller's set-up (credentials, region,
 * endpoint, permissions) rather than about the request, and says in one line what to fix.
 * It reads only the error's name, code and message, so it loads no SDK code.
 */

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  hostname?: unknown;
  address?: unknown;
  port?: unknown;
  cause?: unknown;
}

const expired = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);
const invalidCredentials = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
]);
const accessDenied = new Set(['AccessDenied', 'AccessDeniedException', 'AuthorizationError']);
const unreachable = new Set(['ENOTFOUND', 'ECONNREFUSED', 'EAI_AGAIN']);

/** The SDK's own first line, short enough to keep the message on one line. */
function firstLine(text: string): string {
  const line = text.split('\n')[0]?.trim() ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

function describe(error: ErrorLike): string | undefined {
  const name = typeof error.name === 'string' ? error.name : '';
  const code = typeof error.code === 'string' ? error.code : '';
  const message = typeof error.message === 'string' ? firstLine(error.message) : '';

  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(message)) {
    if (/expired/i.test(message)) {
      return `the AWS credentials have expired (${message}): refresh them (aws sso login, or new temporary keys) and try again`;
    }
    return `no usable AWS credentials (${message}): set AWS_PROFILE (after aws configure or aws sso login), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
  }
  if (expired.has(name)) {
    return `the AWS credentials have expired (${name}): refresh them (aws sso login, or new temporary keys) and try again`;
  }
  if (invalidCredentials.has(name)) {
    const clock = /Signature/.test(name) ? ', and that the clock of this machine is right' : '';
    return `AWS does not accept these credentials (${name}): check AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY${clock}`;
  }
  if (/Region is missing/.test(message)) {
    return 'no AWS region is set: set AWS_REGION (e.g. AWS_REGION=eu-west-1), or a region in the profile AWS_PROFILE names';
  }
  if (unreachable.has(code) || /getaddrinfo|ENOTFOUND|ECONNREFUSED/.test(message)) {
    const where =
      typeof error.hostname === 'string'
        ? error.hostname
        : typeof error.address === 'string'
          ? `${error.address}${typeof error.port === 'number' ? `:${error.port}` : ''}`
          : '';
    return `cannot reach the AWS endpoint${where ? ` ${where}` : ''} (${code || message}): check AWS_REGION, and AWS_ENDPOINT_URL if it is set`;
  }
  const action = /not authorized to perform:? ([\w-]+:[\w*-]+)/.exec(message)?.[1];
  if (accessDenied.has(name) || action) {
    const what = action ? `may not call ${action}` : 'may not do what this command asks';
    return `access denied: the AWS identity in use ${what} (${name || 'AccessDenied'}); grant it in IAM, or use a profile that has it`;
  }
  return undefined;
}

/**
 * A one-line, actionable message for an AWS error about the caller's set-up, or undefined for
 * any other error. Looks through one `cause`, where a wrapper keeps the SDK's error.
 */
export function awsProblem(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const direct = describe(error as ErrorLike);
  if (direct) return direct;
  const { cause } = error as ErrorLike;
  return cause && typeof cause === 'object' ? describe(cause as ErrorLike) : undefined;
}
