import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';

/** e.g. `postgres://postgres@127.0.0.1:5432/postgres`: a server the tests may create databases on. */
export const VARIABLE = 'RESTORE_DRILL_TEST_PG_URL';
export const serverUrl = process.env[VARIABLE]?.trim() || undefined;

/** The URL with its password hidden, for test titles and errors. */
export function redact(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** The same server's URL for another database (and, if given, other credentials). */
export function urlOf(
  base: string,
  database: string,
  credentials?: { user?: string; password?: string },
) {
  const url = new URL(base);
  url.pathname = `/${database}`;
  if (credentials?.user !== undefined) url.username = encodeURIComponent(credentials.user);
  if (credentials?.password !== undefined) url.password = encodeURIComponent(credentials.password);
  return url.toString();
}

export async function withClient<T>(
  url: string,
  run: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `the PostgreSQL server at ${redact(url)} (${VARIABLE}) could not be reached: ${reason}`,
    );
  }
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh database on the server: its URL, a way to run SQL in it, and its removal. */
export interface ScratchDatabase {
  name: string;
  url: string;
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<R[]>;
  drop(): Promise<void>;
}

export async function scratchDatabase(
  base: string,
  prefix = 'restore_drill_test',
): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await withClient(base, (client) => client.query(`create database ${name}`));
  const url = urlOf(base, name);
  return {
    name,
    url,
    sql: (text, values) =>
      withClient(url, async (client) => (await client.query(text, values)).rows),
    drop: () =>
      withClient(base, (client) =>
        client.query(`drop database if exists ${name} with (force)`),
      ).then(() => undefined),
  };
}

/** A port on 127.0.0.1 that nothing listens on: taken from the system, then let go. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

const bin = new URL('../../bin/restore-drill.js', import.meta.url).pathname;

/** This environment without any libpq setting, so each run says its own. */
export const withoutPg = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.startsWith('PG')),
);

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs the CLI as a process, without blocking this one (a test's own server may have to answer
 * it), stdin a pipe that is closed: there is no terminal to ask a password on.
 */
export function runCli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, ...argv], {
    env: { ...withoutPg, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: performance.now() - started });
    });
  });
}
