import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { describe, it } from 'vitest';
import type { ConnectionInfo } from '#core/ports.ts';
import { describeMysqlCheckSuite, type MysqlCheckTarget, randomPassword } from './mysql-checks.ts';

/** e.g. `mysql://root@127.0.0.1:3306/`: a server the tests may create databases and users on. */
const VARIABLE = 'RESTORE_DRILL_TEST_MYSQL_URL';
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

function serverAt(value: string): Omit<ConnectionInfo, 'database'> {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`${VARIABLE} must be a URL such as mysql://root@127.0.0.1:3306/`);
  }
  if (!/^(mysql|mariadb):$/.test(parsed.protocol) || !parsed.hostname)
    throw new Error(`${VARIABLE} must be a mysql:// URL with a host, got ${redact(value)}`);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username) || 'root',
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

async function withAdmin<T>(
  database: string | undefined,
  run: (connection: mysql.Connection) => Promise<T>,
): Promise<T> {
  let connection: mysql.Connection;
  try {
    connection = await mysql.createConnection({
      ...serverAt(url ?? ''),
      database,
      connectTimeout: 10_000,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `the MySQL-family server at ${redact(url ?? '')} (${VARIABLE}) could not be reached: ${reason}`,
    );
  }
  try {
    return await run(connection);
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/**
 * A fresh database on the server, and a user with a password who may do anything in it and
 * nothing elsewhere (as an RDS master user may write): both dropped on close.
 */
async function scratchDatabase(): Promise<MysqlCheckTarget> {
  const server = serverAt(url ?? '');
  const suffix = randomBytes(6).toString('hex');
  const database = `restore_drill_test_${suffix}`;
  const user = `rd_${suffix}`;
  const password = randomPassword();
  const hosts = ['%', 'localhost'];
  await withAdmin(undefined, async (admin) => {
    await admin.query(`CREATE DATABASE ${database}`);
    for (const host of hosts) {
      await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, host, password]);
      await admin.query(`GRANT ALL PRIVILEGES ON ${database}.* TO ?@?`, [user, host]);
    }
  });
  return {
    connection: { ...server, database, user, password },
    admin: () => mysql.createConnection({ ...server, database, connectTimeout: 10_000 }),
    close: () =>
      withAdmin(undefined, async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${database}`);
        for (const host of hosts) await admin.query('DROP USER IF EXISTS ?@?', [user, host]);
      }),
  };
}

if (url) {
  // Its own test, so an unreachable server is a failed test rather than only skipped ones.
  describe(`the MySQL-family server at ${redact(url)}`, () => {
    it('can be reached', () => withAdmin(undefined, (admin) => admin.query('SELECT 1')));
  });
  describeMysqlCheckSuite(`MysqlVerifier on the server at ${redact(url)}`, scratchDatabase);
} else {
  const notRun = `MySQL-family server checks did not run: set ${VARIABLE} to run them`;
  console.warn(`${notRun} (e.g. ${VARIABLE}=mysql://root@127.0.0.1:3306/)`);
  describe.skip(notRun, () => {
    it('runs the check suite against a real MySQL or MariaDB server', () => undefined);
  });
}
