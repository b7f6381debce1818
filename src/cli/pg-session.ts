import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { ConfigError } from '#core/errors.ts';
import type { ConnectionInfo } from '#core/ports.ts';
import { type DatabaseUrl, describeUrl } from './database-url.ts';

/** As long as the checks themselves wait for a connection. */
const CONNECT_TIMEOUT_MS = 15_000;

/** How a session is secured, once negotiated: TLS verified, TLS not verified, or none. */
export type TlsInUse = 'verify-full' | 'require' | 'none';

/** An open connection to a database given by URL, and how to open another one like it. */
export interface Session {
  client: pg.Client;
  /** The same server, credentials and TLS settings, for the verifier's own connection. */
  connection: ConnectionInfo;
  tls: TlsInUse;
}

export interface SessionOptions {
  database: string;
  user: string;
  /** From the URL or PGPASSWORD. Without one, the server is first asked whether it wants one. */
  password?: string;
  /** Asks for the password (a terminal is there to ask on); called only if the server wants it. */
  prompt?: (question: string) => Promise<string>;
}

/** The connection could not be opened: the reason, in words, never with the password. */
export class ConnectFailed extends Error {
  override name = 'ConnectFailed';
}

/** The server asked for a password that was not given: the connection is retried with one. */
class PasswordWanted extends Error {}

/** Why a connection failed, in one line: node's errors for several addresses carry no message. */
export function connectionProblem(error: unknown): string {
  if (error instanceof AggregateError) {
    const reasons = [...new Set(error.errors.map((e) => connectionProblem(e)))];
    return reasons.join('; ') || 'cannot connect';
  }
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  if (error.message === 'timeout expired') {
    return `no answer within ${CONNECT_TIMEOUT_MS / 1000} s (connection timed out)`;
  }
  return error.message || code || error.name;
}

/** The TLS settings to try, in order: `prefer` falls back to none if the server offers no TLS. */
async function tlsAttempts(
  url: DatabaseUrl,
): Promise<{ tls: TlsInUse; ssl?: ConnectionInfo['ssl'] }[]> {
  const unverified = { tls: 'require' as const, ssl: { rejectUnauthorized: false } };
  switch (url.sslMode) {
    case 'disable':
      return [{ tls: 'none' }];
    case 'allow':
    case 'prefer':
      return [unverified, { tls: 'none' }];
    case 'require':
      return [unverified];
    case 'verify-full': {
      let ca: string | undefined;
      if (url.sslRootCert) {
        try {
          ca = await readFile(url.sslRootCert, 'utf8');
        } catch (error) {
          throw new ConfigError(
            `cannot read sslrootcert ${url.sslRootCert}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          );
        }
      }
      return [{ tls: 'verify-full', ssl: { rejectUnauthorized: true, ...(ca ? { ca } : {}) } }];
    }
  }
}

const noTlsOffered = (error: unknown) =>
  error instanceof Error && error.message === 'The server does not support SSL connections';

/**
 * Opens a connection the way libpq would for this URL: TLS as its `sslmode` says, the password
 * given, or asked for on the terminal only once the server wants one (the connection timeout
 * does not run while someone types). A failure is a ConnectFailed with the reason.
 */
export async function openSession(url: DatabaseUrl, options: SessionOptions): Promise<Session> {
  const { database, user, prompt } = options;
  let password = options.password;
  const attempts = await tlsAttempts(url);
  for (const [i, attempt] of attempts.entries()) {
    for (;;) {
      const known = password;
      const client = new pg.Client({
        host: url.host,
        port: url.port,
        database,
        user,
        // A function: pg calls it only when the server asks, so a missing password is noticed
        // there, and is not looked up behind this code's back (PGPASSWORD, ~/.pgpass).
        password: () => {
          if (known === undefined) throw new PasswordWanted();
          return known;
        },
        ssl: attempt.ssl ?? false,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const connection: ConnectionInfo = {
          host: url.host,
          port: url.port,
          database,
          user,
          ...(password === undefined ? {} : { password }),
          ...(attempt.ssl ? { ssl: attempt.ssl } : {}),
        };
        return { client, connection, tls: attempt.tls };
      } catch (error) {
        await client.end().catch(() => undefined);
        if (error instanceof PasswordWanted) {
          const who = describeUrl(url, database, user);
          if (!prompt) {
            throw new ConnectFailed(
              `the server asks for a password for ${who}: give it in the URL or in PGPASSWORD (there is no terminal to ask on)`,
            );
          }
          password = await prompt(`Password for ${who}: `);
          continue;
        }
        if (noTlsOffered(error) && i < attempts.length - 1) break;
        const reason = connectionProblem(error);
        throw new ConnectFailed(
          noTlsOffered(error) ? `${reason} (sslmode=${url.sslMode})` : reason,
          { cause: error },
        );
      }
    }
  }
  throw new ConnectFailed('cannot connect');
}

/** What a session may do, as far as the checks care. */
export interface SessionFacts {
  serverVersion: string;
  /** A standby, or a role or database with default_transaction_read_only on. */
  readOnly: boolean;
  /** The amcheck extension is installed in the database. */
  amcheck: boolean;
}

/** Reads what the session may do, in a read-only transaction that is rolled back. */
export async function sessionFacts(client: pg.Client): Promise<SessionFacts> {
  await client.query('begin transaction read only');
  try {
    const { rows } = await client.query<{ version: string; read_only: boolean; amcheck: boolean }>(
      `select current_setting('server_version') as version,
              pg_is_in_recovery() or current_setting('default_transaction_read_only')::boolean
                as read_only,
              exists (select 1 from pg_extension where extname = 'amcheck') as amcheck`,
    );
    const row = rows[0];
    return {
      serverVersion: row?.version ?? 'unknown',
      readOnly: row?.read_only === true,
      amcheck: row?.amcheck === true,
    };
  } finally {
    await client.query('rollback').catch(() => undefined);
  }
}
