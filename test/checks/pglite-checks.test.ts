import { PGlite } from '@electric-sql/pglite';
import { amcheck } from '@electric-sql/pglite/contrib/amcheck';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
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
    connection: { host, port: Number(port), database: 'postgres', user: 'postgres' },
    // PGlite runs in this thread without timers: statement_timeout is accepted and never fires.
    enforcesStatementTimeout: false,
    // One backend serves every connection: none can be terminated on its own.
    terminatesBackends: false,
    async close() {
      try {
        await server.stop();
      } finally {
        await db.close();
      }
    },
  };
});
