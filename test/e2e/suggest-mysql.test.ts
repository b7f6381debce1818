import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { suggestChecks } from '#adapters/mysql/suggest.ts';
import { Session } from '#adapters/mysql/verifier.ts';
import { redact, runCli } from './pg-server.ts';
import { checkSuggested, suggestAt, whereToPut } from './suggested.ts';

/** e.g. `mysql://root@127.0.0.1:3306/`: a server the tests may create databases and users on. */
const VARIABLE = 'RESTORE_DRILL_TEST_MYSQL_URL';
const serverUrl = process.env[VARIABLE]?.trim() || undefined;

/**
 * Tables of every kind suggest meets on MySQL: the largest with a created_at DATETIME, one with
 * an event TIMESTAMP that has a bogus future row (and a date that is not an event's), an empty
 * one, one with no date or time at all, names a configuration cannot hold, and a view, which
 * holds no data of its own.
 */
const shopSql = [
  `create table orders (
     id bigint unsigned auto_increment primary key,
     customer int not null,
     total decimal(10, 2) not null,
     status enum('new', 'paid', 'shipped') not null default 'new',
     created_at datetime not null
   )`,
  `create table events (
     id int primary key,
     kind varchar(20) not null,
     happened_at timestamp(3) null,
     valid_until date,
     key (happened_at)
   )`,
  `create table audit_log (id int, entry text, created_at datetime)`,
  `create table settings (name varchar(40) primary key, value json, enabled boolean)`,
  'create table `Odd Name` (id int)',
  'create table notes (id int primary key, `body text` text)',
  'create view recent_orders as select id, created_at from orders',
];

const work = mkdtempSync(join(tmpdir(), 'restore-drill-suggest-mysql-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

if (serverUrl) {
  const server = new URL(serverUrl);
  const admin = async () => {
    try {
      const connection = await mysql.createConnection({
        host: server.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: Number(server.port || 3306),
        user: decodeURIComponent(server.username) || 'root',
        password: decodeURIComponent(server.password) || undefined,
        connectTimeout: 10_000,
        multipleStatements: false,
      });
      await connection.query("set time_zone = '+00:00'");
      return connection;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `the MySQL-family server at ${redact(serverUrl)} (${VARIABLE}) could not be reached: ${reason}`,
      );
    }
  };

  describe(`restore-drill suggest against the MySQL-family server at ${redact(serverUrl)}`, () => {
    const database = `restore_drill_suggest_${randomBytes(4).toString('hex')}`;
    const reader = `rd_ro_${randomBytes(4).toString('hex')}`;
    const readerPassword = `pw-${randomBytes(8).toString('hex')}`;
    /** The URL of the test's database, as a user would give it, without a password. */
    const urlOf = (user: string, port = server.port || '3306') =>
      `mysql://${encodeURIComponent(user)}@${server.hostname}:${port}/${database}`;
    const url = urlOf(decodeURIComponent(server.username) || 'root');
    const env = server.password ? { MYSQL_PWD: decodeURIComponent(server.password) } : {};

    beforeAll(async () => {
      const connection = await admin();
      try {
        await connection.query(`create database ${database}`);
        await connection.query(`use ${database}`);
        for (const sql of shopSql) await connection.query(sql);
        const orders = Array.from({ length: 3000 }, (_, i) => [
          i % 97,
          (i % 500) + 0.25,
          i % 3 ? 'paid' : 'new',
          // Newest 10 minutes ago, oldest some two days ago.
          new Date(Date.now() - (10 + i) * 60_000).toISOString().slice(0, 19).replace('T', ' '),
        ]);
        await connection.query(
          'insert into orders (customer, total, status, created_at) values ?',
          [orders],
        );
        await connection.query(
          `insert into events (id, kind, happened_at, valid_until)
             select id, 'paid', utc_timestamp() - interval 2 hour, '2099-01-01'
               from orders where id <= 60`,
        );
        // A bogus date far ahead: the freshness check ignores it, so suggest must too.
        await connection.query(
          "insert into events values (61, 'bogus', '2037-01-01 00:00:00', '2037-01-01')",
        );
        await connection.query(`insert into settings values ('a', '{}', true), ('b', '[]', false)`);
        await connection.query(`insert into notes values (1, 'x'), (2, 'y')`);
        await connection.query('analyze table orders, events, settings, notes');
        // A user that may only read this database.
        for (const host of ['%', 'localhost']) {
          await connection.query('create user ?@? identified by ?', [reader, host, readerPassword]);
          await connection.query(`grant select on ${database}.* to ?@?`, [reader, host]);
        }
      } finally {
        await connection.end();
      }
    });
    afterAll(async () => {
      const connection = await admin();
      try {
        await connection.query(`drop database if exists ${database}`);
        for (const host of ['%', 'localhost'])
          await connection.query('drop user if exists ?@?', [reader, host]);
      } finally {
        await connection.end();
      }
    });

    const suggest = (...extra: string[]) => suggestAt(url, extra, env);

    it('prints the checks of the base tables as JSON, and where to put them on stderr', async () => {
      const { checks, stderr } = await suggest();

      expect(checks.integrity).toBe(true);
      // The largest first; a view is no table of its own, a name with a space cannot be written.
      expect(Object.keys(checks.tables)[0]).toBe('orders');
      expect(Object.keys(checks.tables).sort()).toEqual([
        'audit_log',
        'events',
        'notes',
        'orders',
        'settings',
      ]);
      expect(checks.tables.orders).toEqual({
        minRows: 2700,
        freshness: { column: 'created_at', maxAgeMinutes: 1440 },
        columns: {
          id: 'bigint unsigned',
          customer: 'int',
          total: 'decimal(10,2)',
          status: "enum('new','paid','shipped')",
          created_at: 'datetime',
        },
      });
      // The event's time, not the far-off valid_until, and the 2037 row left out.
      expect(checks.tables.events).toEqual({
        minRows: 54,
        freshness: { column: 'happened_at', maxAgeMinutes: 1440 },
        columns: {
          id: 'int',
          kind: 'varchar(20)',
          happened_at: 'timestamp(3)',
          valid_until: 'date',
        },
      });
      // Empty: there is a table to find, and no newest value to measure.
      expect(checks.tables.audit_log).toEqual({
        minRows: 0,
        columns: { id: 'int', entry: 'text', created_at: 'datetime' },
      });
      // No date or time column: no freshness. MariaDB keeps JSON as longtext, BOOLEAN is tinyint(1).
      expect(checks.tables.settings).toEqual({
        minRows: 1,
        columns: {
          name: 'varchar(40)',
          value: expect.stringMatching(/^(json|longtext)$/),
          enabled: 'tinyint',
        },
      });
      expect(checks.tables.notes).toEqual({ minRows: 1, columns: { id: 'int' } });

      const lines = stderr.trimEnd().split('\n');
      expect(lines).toContain(
        '  `Odd Name`: left out, its name cannot be written in a configuration',
      );
      expect(lines).toContain(
        '  notes: column `body text` left out, its name cannot be written in a configuration',
      );
      expect(lines.at(-1)).toBe(whereToPut(5, database));
    });

    it('takes --fraction for minRows', async () => {
      const { checks } = await suggest('--fraction', '0.5');

      expect(checks.tables.orders.minRows).toBe(1500);
      expect(checks.tables.events.minRows).toBe(30);
    });

    it('prints checks the configuration accepts, and that check then passes', async () => {
      const { checks } = await suggest();
      const { config, run, report } = await checkSuggested(checks, {
        url,
        engine: 'mariadb',
        database,
        file: join(work, 'suggested.json'),
        env,
      });
      expect(config.targets[0]?.checks.tables.orders?.minRows).toBe(2700);

      expect(report.checks.filter((c) => c.status !== 'PASS')).toEqual([]);
      expect(report.status).toBe('PASS');
      expect(run.status).toBe(0);
      expect(report.checks.map((c) => c.name)).toEqual(
        expect.arrayContaining([
          'integrity',
          'rows:orders',
          'freshness:orders.created_at',
          'schema:orders',
          'freshness:events.happened_at',
          'rows:audit_log',
          'schema:settings',
        ]),
      );
    });

    it('reads as a user who may only read, its password from MYSQL_PWD', async () => {
      const run = await runCli(['suggest', '--url', urlOf(reader)], { MYSQL_PWD: readerPassword });

      expect(run.status).toBe(0);
      expect(Object.keys(JSON.parse(run.stdout).tables)).toHaveLength(5);
      expect(run.stderr).not.toContain(readerPassword);
    });

    it("counts a large table by information_schema's estimate, a small one exactly, and leaves the session as it was", async () => {
      const connection = await admin();
      let estimates: Record<string, number>;
      try {
        const [rows] = (await connection.query(
          'select table_name as name, table_rows as n from information_schema.tables where table_schema = ?',
          [database],
        )) as unknown as [{ name: string; n: number }[]];
        estimates = Object.fromEntries(rows.map((r) => [r.name, Number(r.n)]));
      } finally {
        await connection.end();
      }
      const session = new Session({
        host: server.hostname,
        port: Number(server.port || 3306),
        database,
        user: reader,
        password: readerPassword,
      });
      await session.open();
      const variable = session.facts?.timeoutVariable ?? 'max_statement_time';
      const limit = async () =>
        Number((await session.query<{ t: unknown }>(`select @@session.${variable} as t`))[0]?.t);
      try {
        const before = await limit();
        const sent = vi.spyOn(session, 'query');
        const estimated = await suggestChecks(session, { fraction: 1, exactCountBelow: 1 });
        const countedFirst = sent.mock.calls.filter(([sql]) => sql.includes('COUNT(*)'));
        sent.mockClear();
        const exact = await suggestChecks(session, { fraction: 1 });
        const countedThen = sent.mock.calls.filter(([sql]) => sql.includes('COUNT(*)'));

        // At exactCountBelow 1 only the table information_schema takes for empty is counted.
        expect(countedFirst.map(([sql]) => sql)).toEqual(['SELECT COUNT(*) AS n FROM `audit_log`']);
        expect(countedThen).toHaveLength(5);

        expect(estimated.checks.tables.orders?.minRows).toBe(estimates.orders);
        expect(exact.checks.tables.orders?.minRows).toBe(3000);
        expect(exact.checks.tables.events?.minRows).toBe(61);
        // The statement time limit is set back to what it was.
        expect(await limit()).toBe(before);
      } finally {
        session.close();
      }
    });
  });
} else {
  const notRun = `suggest against a MySQL-family server did not run: set ${VARIABLE} to run it`;
  console.warn(`${notRun} (e.g. ${VARIABLE}=mysql://root@127.0.0.1:3306/)`);
  describe.skip(notRun, () => {
    it('runs restore-drill suggest against a real MySQL or MariaDB server', () => undefined);
  });
}
