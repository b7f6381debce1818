import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';
import type { ConnectionInfo } from '#core/ports.ts';
import { type CheckTarget, describeCheckSuite } from './postgres-checks.ts';

/** e.g. `postgres://postgres@127.0.0.1:5432/postgres`: a server the tests may create databases on. */
const VARIABLE = 'RESTORE_DRILL_TEST_PG_URL';
const url = process.env[VARIABLE]?.trim();

/** The URL with its password hidden, for test titles and errors. */
function redact(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function serverAt(value: string): ConnectionInfo {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(
      `${VARIABLE} must be a URL such as postgres://postgres@127.0.0.1:5432/postgres`,
    );
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol) || !parsed.hostname)
    throw new Error(`${VARIABLE} must be a postgres:// URL with a host, got ${redact(value)}`);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : 5432,
    database: decodeURIComponent(parsed.pathname.slice(1)) || 'postgres',
    user: decodeURIComponent(parsed.username) || 'postgres',
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

async function withClient<T>(
  connection: ConnectionInfo,
  run: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ ...connection, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `the PostgreSQL server at ${redact(url ?? '')} (${VARIABLE}) could not be reached: ${reason}`,
    );
  }
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh database on the server, dropped (its sessions forced out first) on close. */
async function scratchDatabase(value: string): Promise<CheckTarget> {
  const server = serverAt(value);
  const database = `restore_drill_test_${randomBytes(6).toString('hex')}`;
  await withClient(server, (client) => client.query(`create database ${database}`));
  return {
    connection: { ...server, database },
    enforcesStatementTimeout: true,
    terminatesBackends: true,
    connectsAsOtherRoles: true,
    close: () =>
      withClient(server, async (client) => {
        await client.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [database],
        );
        await client.query(`drop database if exists ${database} with (force)`);
      }),
  };
}

if (url) {
  // Its own test, so an unreachable server is a failed test rather than only skipped ones.
  describe(`the PostgreSQL server at ${redact(url)}`, () => {
    it('can be reached', () => withClient(serverAt(url), (client) => client.query('select 1')));
  });
  describeCheckSuite(`PostgresVerifier on the PostgreSQL server at ${redact(url)}`, () =>
    scratchDatabase(url),
  );
} else {
  const notRun = `PostgreSQL server checks did not run: set ${VARIABLE} to run them`;
  console.warn(`${notRun} (e.g. ${VARIABLE}=postgres://postgres@127.0.0.1:5432/postgres)`);
  describe.skip(notRun, () => {
    it('runs the check suite against a real PostgreSQL server', () => undefined);
  });
}
