import { PGlite } from '@electric-sql/pglite';
import { amcheck } from '@electric-sql/pglite/contrib/amcheck';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresVerifier } from '#adapters/postgres/verifier.ts';
import { describeCheckSuite, describeVerifierHelpers } from './postgres-checks.ts';

// The helpers' unit tests live with the suite and run here, where a server is always available.
describeVerifierHelpers();

describeCheckSuite('PostgresVerifier on PGlite', async () => {
  const db = await PGlite.create({ extensions: { amcheck } });
  // The suite's own connection and the verifier's are open at the same time.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const [host = '127.0.0.1', port] = server.getServerConn().split(':');
  return {
    // One backend behind the socket: the verifier's walks share one session, as in drills.
    connection: {
      host,
      port: Number(port),
      database: 'postgres',
      user: 'postgres',
      maxSessions: 1,
    },
    // PGlite runs in this thread without timers: statement_timeout is accepted and never fires.
    enforcesStatementTimeout: false,
    // One backend serves every connection: none can be terminated on its own.
    terminatesBackends: false,
    // ...and as its one user, whatever user a connection names.
    connectsAsOtherRoles: false,
    async close() {
      try {
        await server.stop();
      } finally {
        await db.close();
      }
    },
  };
});

describe('PostgresVerifier on a PGlite without the amcheck extension', () => {
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;

  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec(`
      create table notes (id int primary key, body text not null);
      insert into notes select g, repeat('note ', 2000) || g from generate_series(1, 20) g;`);
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 2 });
    await server.start();
  });

  afterAll(async () => {
    try {
      await server?.stop();
    } finally {
      await db?.close();
    }
  });

  it('skips the amcheck checks, saying why, and still reads every table', async () => {
    const [host = '127.0.0.1', port] = (server?.getServerConn() ?? '').split(':');
    const { checks: results } = await new PostgresVerifier().verify({
      connection: { host, port: Number(port), database: 'postgres', user: 'postgres' },
      checks: { integrity: true, tables: {}, sql: [], statementTimeoutSeconds: 10 },
      recoveryPoint: new Date(),
      parallel: 1,
      budgetMs: 600_000,
    });
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['connectivity', 'PASS'],
      ['integrity', 'SKIP'],
      ['heap', 'SKIP'],
      ['read-all', 'PASS'],
    ]);
    for (const skipped of results.slice(1, 3))
      expect(skipped.message).toMatch(
        /^not run: amcheck is not installed on the copy and cannot be: extension "amcheck" is not available/,
      );
    expect(results[3]).toMatchObject({ metrics: { tables: 1, rows: 20 } });
  });
});
