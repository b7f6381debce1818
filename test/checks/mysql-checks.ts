import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlVerifier, quoteName } from '#adapters/mysql/verifier.ts';
import { type Baseline, compareWithBaseline } from '#core/baseline.ts';
import type { Target } from '#core/config.ts';
import type { ConnectionInfo } from '#core/ports.ts';
import type { CheckResult } from '#core/state.ts';
import { verifyInCalls } from '#core/verification.ts';

type Checks = Target['checks'];

/** A live MySQL-family server with a database of the suite's own in it. */
export interface MysqlCheckTarget {
  /**
   * Where the verifier connects: an empty database, as a user who may do anything in it (as an
   * RDS master user may), with a password. The integrity check covers every table in it, and
   * the suite counts them.
   */
  connection: ConnectionInfo & { password: string };
  /** A connection that may create what the suite needs, in that database. */
  admin(): Promise<mysql.Connection>;
  /** Drops the database and the user. */
  close(): Promise<void>;
}

/** The snapshot's point in time every freshness check measures against. */
const recoveryPoint = new Date('2024-06-01T12:00:00.000Z');

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port was bound');
  return address.port;
}

/**
 * Runs the MysqlVerifier against a live server: it builds its own tables there (InnoDB, MyISAM,
 * Aria where the server has it, MEMORY, a view, a stored function that writes), then checks
 * connectivity, CHECK TABLE and the full read, row counts, freshness, columns, custom SQL, the
 * read-only guard, the statement timeout, an unreachable server, and that no password ever
 * reaches a result.
 */
export function describeMysqlCheckSuite(
  name: string,
  connect: () => Promise<MysqlCheckTarget>,
): void {
  describe(name, () => {
    let target: MysqlCheckTarget | undefined;
    let admin: mysql.Connection | undefined;
    let hasAria = false;
    const verifier = new MysqlVerifier();
    /** Every result the suite saw: none may hold the password. */
    const seen: CheckResult[] = [];

    const connected = () => {
      if (!target || !admin) throw new Error('the check target did not start');
      return { target, admin };
    };
    const database = () => connected().target.connection.database;

    /** The suite's own statements, on its own connection. */
    const sql = async <R = Record<string, unknown>>(text: string): Promise<R[]> =>
      (await connected().admin.query(text))[0] as R[];

    const verifyAt = async (connection: ConnectionInfo, checks: Partial<Checks>) => {
      const { checks: results, resume } = await verifier.verify({
        connection,
        checks: { integrity: false, tables: {}, sql: [], statementTimeoutSeconds: 10, ...checks },
        recoveryPoint,
        parallel: 2,
        budgetMs: 600_000,
      });
      expect(resume).toBeUndefined();
      seen.push(...results);
      return results;
    };

    /** Verifies against the target, asserts it connected, and returns the other checks' results. */
    const verify = async (checks: Partial<Checks>): Promise<CheckResult[]> => {
      const [connectivity, ...rest] = await verifyAt(connected().target.connection, checks);
      expect(connectivity, connectivity?.message).toMatchObject({
        name: 'connectivity',
        status: 'PASS',
      });
      return rest;
    };

    const verifyOne = async (checks: Partial<Checks>): Promise<CheckResult> => {
      const results = await verify(checks);
      expect(results).toHaveLength(1);
      return results[0] as CheckResult;
    };

    /** The order rows as one value, and the tables there are: what a write would change. */
    const snapshotOfData = async () => ({
      orders: await sql(
        "SELECT COUNT(*) AS n, SUM(CRC32(CONCAT_WS(':', id, note, total, placed_at))) AS digest FROM orders",
      ),
      tables: (
        await sql<{ name: string }>(
          `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1`,
        )
      ).map((t) => t.name),
    });

    /** Base tables the suite makes: every one CHECK TABLE and the full read cover. */
    const baseTables = () => (hasAria ? 8 : 7);

    beforeAll(async () => {
      target = await connect();
      admin = await target.admin();
      hasAria = (await sql<{ Engine: string; Support: string }>('SHOW ENGINES')).some(
        (e) => e.Engine === 'Aria' && e.Support !== 'NO',
      );
      await sql("SET SESSION time_zone = '+00:00'");
      const statements = [
        `CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(100) NOT NULL,
           total DECIMAL(10,2) NOT NULL, placed_at DATETIME(3) NOT NULL) ENGINE=InnoDB`,
        `INSERT INTO orders (id, note, total, placed_at)
           WITH RECURSIVE g (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100)
           SELECT n, CONCAT('order ', n), n * 1.5,
                  TIMESTAMP('2024-06-01 11:55:00') - INTERVAL (n - 1) MINUTE FROM g`,
        `CREATE TABLE events (id BIGINT UNSIGNED PRIMARY KEY, at TIMESTAMP(3) NOT NULL,
           KEY events_at (at)) ENGINE=InnoDB`,
        `INSERT INTO events (id, at)
           WITH RECURSIVE g (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 500)
           SELECT n, TIMESTAMP('2024-01-01 00:00:00') + INTERVAL n MINUTE FROM g`,
        // Values long enough to be stored off the row's page.
        `CREATE TABLE docs (id INT PRIMARY KEY, body LONGTEXT NOT NULL) ENGINE=InnoDB`,
        `INSERT INTO docs VALUES (1, REPEAT('a', 100000)), (2, REPEAT('b', 50000))`,
        `CREATE TABLE legacy (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=MyISAM`,
        `INSERT INTO legacy VALUES (1, 'x'), (2, 'y'), (3, 'z')`,
        `CREATE TABLE cache (k INT PRIMARY KEY) ENGINE=MEMORY`,
        `CREATE TABLE empty (at DATETIME)`,
        'CREATE TABLE `we``ird` (x INT)',
        'INSERT INTO `we``ird` VALUES (1), (2), (3)',
        `CREATE VIEW orders_v AS SELECT id, note FROM orders`,
        `CREATE FUNCTION sneaky() RETURNS INT MODIFIES SQL DATA
           BEGIN DELETE FROM orders; RETURN 0; END`,
        `CREATE PROCEDURE wipe() BEGIN DELETE FROM orders; END`,
        ...(hasAria
          ? [
              `CREATE TABLE audit (id INT PRIMARY KEY, what VARCHAR(20)) ENGINE=Aria`,
              `INSERT INTO audit VALUES (1, 'created'), (2, 'paid')`,
            ]
          : []),
      ];
      for (const statement of statements) await sql(statement);
    }, 60_000);

    afterAll(async () => {
      try {
        await admin?.end().catch(() => undefined);
      } finally {
        await target?.close();
      }
      const password = target?.connection.password;
      if (password) expect(JSON.stringify(seen)).not.toContain(password);
    }, 30_000);

    describe('connectivity', () => {
      it('passes, naming the server, its version and whether TLS is in use', async () => {
        const [connectivity] = await verifyAt(connected().target.connection, {});
        const [{ version } = { version: '?' }] = await sql<{ version: string }>(
          'SELECT VERSION() AS version',
        );
        expect(connectivity).toMatchObject({ name: 'connectivity', status: 'PASS' });
        expect(connectivity?.message).toMatch(
          /^(MariaDB|MySQL|Aurora MySQL) \d+\.\d+[^,]*, (no TLS|TLS \(.+\)), connected in \d+ ms, round trip \d+\.\d ms$/,
        );
        expect(connectivity?.metrics).toMatchObject({ serverVersion: version });
        expect(connectivity?.metrics?.tls).toEqual(expect.any(String));
      });

      it('is an ERROR on an unreachable port, and every other check is skipped', async () => {
        const port = await closedPort();
        const results = await verifyAt(
          { ...connected().target.connection, port },
          {
            integrity: true,
            tables: {
              orders: {
                minRows: 1,
                freshness: { column: 'placed_at', maxAgeMinutes: 5 },
                columns: { id: 'int' },
              },
            },
            sql: [{ name: 'orders', query: 'SELECT COUNT(*) FROM orders', expect: { min: 1 } }],
          },
        );
        expect(results.map((r) => [r.name, r.status])).toEqual([
          ['connectivity', 'ERROR'],
          ['integrity', 'SKIP'],
          ['integrity:read-all', 'SKIP'],
          ['rows:orders', 'SKIP'],
          ['freshness:orders.placed_at', 'SKIP'],
          ['schema:orders', 'SKIP'],
          ['sql:orders', 'SKIP'],
        ]);
        expect(results[0]?.message).toMatch(/ECONNREFUSED/);
        for (const skipped of results.slice(1)) expect(skipped.message).toBe('not connected');
      });

      it('is an ERROR for a wrong password or an unknown database, and never says the password', async () => {
        const { connection } = connected().target;
        const wrong = `not-${connection.password}`;
        const [denied] = await verifyAt({ ...connection, password: wrong }, {});
        expect(denied).toMatchObject({ name: 'connectivity', status: 'ERROR' });
        expect(denied?.message).toMatch(/Access denied/);
        expect(denied?.message).not.toContain(wrong);
        const [unknown] = await verifyAt({ ...connection, database: `${database()}_gone` }, {});
        expect(unknown).toMatchObject({ name: 'connectivity', status: 'ERROR' });
        expect(unknown?.message).toMatch(/Unknown database|Access denied/);
      });
    });

    describe('integrity', () => {
      it('passes CHECK TABLE on every base table, views left out, and counts them', async () => {
        const result = await verifyOne({
          integrity: {
            indexes: true,
            parentCheck: false,
            heap: true,
            readAll: false,
            checkTable: 'medium',
          },
        });
        expect(result).toMatchObject({
          name: 'integrity',
          status: 'PASS',
          metrics: { tables: baseTables(), corrupt: 0, notCheckable: 1 },
        });
        expect(result.message).toBe(
          `CHECK TABLE MEDIUM: ${baseTables() - 1} tables of ${database()} OK; ${database()}.cache (its engine cannot be checked)`,
        );
      });

      it('runs the configured CHECK TABLE mode', async () => {
        for (const mode of ['quick', 'extended'] as const) {
          const result = await verifyOne({
            integrity: {
              indexes: true,
              parentCheck: false,
              heap: true,
              readAll: false,
              checkTable: mode,
            },
          });
          expect(result.status, result.message).toBe('PASS');
          expect(result.message).toMatch(new RegExp(`^CHECK TABLE ${mode.toUpperCase()}: `));
        }
      });

      it('reads every base table end to end after CHECK TABLE', async () => {
        const results = await verify({ integrity: true });
        expect(results.map((r) => [r.name, r.status])).toEqual([
          ['integrity', 'PASS'],
          ['integrity:read-all', 'PASS'],
        ]);
        expect(results[1]).toMatchObject({
          message: `${baseTables()} tables of ${database()} read end to end (CHECKSUM TABLE EXTENDED)`,
          metrics: { tables: baseTables(), unreadable: 0 },
        });
      });

      it('runs nothing when integrity is off', async () => {
        expect(await verify({ integrity: false })).toEqual([]);
      });
    });

    describe('a database too large for one invocation', () => {
      const TABLES = 45;
      const many = Array.from({ length: TABLES }, (_, i) => `many_${String(i).padStart(2, '0')}`);

      beforeAll(async () => {
        for (const [i, table] of many.entries()) {
          await sql(
            `CREATE TABLE ${table} (id INT PRIMARY KEY, body VARCHAR(200) NOT NULL) ENGINE=${i % 3 ? 'InnoDB' : 'MyISAM'}`,
          );
          await sql(
            `INSERT INTO ${table} WITH RECURSIVE g (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 50)
               SELECT n, REPEAT('x', 200) FROM g`,
          );
        }
      }, 60_000);
      afterAll(async () => {
        await sql(`DROP TABLE IF EXISTS ${many.join(', ')}`);
      }, 30_000);

      it('checks and reads every table, over several calls, as one call does', async () => {
        // Sizes as information_schema has them settled, so both runs count the same bytes.
        const tables = await sql<{ name: string }>(
          `SELECT table_name AS name FROM information_schema.tables
            WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'`,
        );
        await sql(`ANALYZE TABLE ${tables.map((t) => quoteName(t.name)).join(', ')}`);
        const once = await verifyAt(connected().target.connection, { integrity: true });

        // A clock that moves 30 s each time the verifier reads it, and two tables a batch: a
        // call's 12 minutes hold only a few of the batches.
        let ms = 0;
        const slow = new MysqlVerifier({ now: () => (ms += 30_000), tablesPerUnit: 2 });
        const { checks, calls } = await verifyInCalls(
          slow,
          {
            connection: connected().target.connection,
            checks: { integrity: true, tables: {}, sql: [], statementTimeoutSeconds: 10 },
            recoveryPoint,
            parallel: 2,
          },
          240,
        );
        seen.push(...checks);
        expect(calls).toBeGreaterThan(3);
        const shown = (results: CheckResult[]) =>
          results.map(({ name, status, message, metrics }) => ({
            name,
            status,
            message: name === 'connectivity' ? undefined : message,
            tables: metrics?.tables,
            corrupt: metrics?.corrupt,
            unreadable: metrics?.unreadable,
            notCheckable: metrics?.notCheckable,
            warnings: metrics?.warnings,
            bytes: metrics?.bytes,
          }));
        expect(shown(checks)).toEqual(shown(once));
        expect(checks.map((c) => [c.name, c.status])).toEqual([
          ['connectivity', 'PASS'],
          ['integrity', 'PASS'],
          ['integrity:read-all', 'PASS'],
        ]);
        expect(checks[1]?.metrics).toMatchObject({ tables: baseTables() + TABLES, corrupt: 0 });
        expect(checks[2]?.metrics?.bytes).toBeGreaterThan(0);
      }, 120_000);
    });

    describe('tables', () => {
      it('passes and fails minRows, and fails a table that is not there', async () => {
        const results = await verify({
          tables: {
            orders: { minRows: 100 },
            events: { minRows: 501 },
            [`${database()}.legacy`]: { minRows: 3 },
            'we`ird': { minRows: 3 },
            missing: { minRows: 0 },
          },
        });
        expect(results.map((r) => [r.name, r.status, r.message])).toEqual([
          ['rows:orders', 'PASS', '100 rows in orders, at least 100 expected'],
          ['rows:events', 'FAIL', '500 rows in events, at least 501 expected'],
          [
            `rows:${database()}.legacy`,
            'PASS',
            `3 rows in ${database()}.legacy, at least 3 expected`,
          ],
          ['rows:we`ird', 'PASS', '3 rows in we`ird, at least 3 expected'],
          ['rows:missing', 'FAIL', 'table missing does not exist in the restored copy'],
        ]);
        expect(results[0]?.metrics).toEqual({ rows: 100 });
      });

      const freshness = (maxAgeMinutes: number, table = 'orders', column = 'placed_at') => ({
        tables: { [table]: { freshness: { column, maxAgeMinutes } } },
      });

      it('passes freshness when the newest row is recent enough, and fails when it is not', async () => {
        const fresh = await verifyOne(freshness(10));
        expect(fresh).toMatchObject({
          name: 'freshness:orders.placed_at',
          status: 'PASS',
          message:
            'newest placed_at is 2024-06-01T11:55:00.000Z, 5 min 0 s before the recovery point (limit 10 min)',
          metrics: { newestAt: '2024-06-01T11:55:00.000Z', lagMs: 300_000, futureRows: 0 },
        });
        const stale = await verifyOne(freshness(4));
        expect(stale.status).toBe('FAIL');
        expect(stale.message).toContain('(limit 4 min)');
      });

      it('reads a TIMESTAMP column as the instant it stores', async () => {
        const result = await verifyOne(freshness(60 * 24 * 365, 'events', 'at'));
        expect(result).toMatchObject({
          status: 'PASS',
          metrics: { newestAt: '2024-01-01T08:20:00.000Z' },
        });
      });

      it('ignores rows dated after the recovery point, and counts them', async () => {
        await sql(
          "INSERT INTO orders VALUES (1000, 'from the future', 1, '2099-01-01 00:00:00'), (1001, 'skewed', 1, '2024-06-01 12:02:00')",
        );
        try {
          const result = await verifyOne(freshness(10));
          expect(result).toMatchObject({
            status: 'PASS',
            metrics: { newestAt: '2024-06-01T12:02:00.000Z', lagMs: 0, futureRows: 1 },
          });
          expect(result.message).toContain(
            '2 min 0 s after the recovery point, within the clock-skew allowance',
          );
          expect(result.message).toContain(
            '(ignoring 1 row dated more than 5 min after the recovery point)',
          );
        } finally {
          await sql('DELETE FROM orders WHERE id >= 1000');
        }
      });

      it('fails for an empty table and a missing one; a column that is not a time is an ERROR', async () => {
        const results = await verify({
          tables: {
            empty: { freshness: { column: 'at', maxAgeMinutes: 10 } },
            missing: { freshness: { column: 'at', maxAgeMinutes: 10 } },
            orders: { freshness: { column: 'note', maxAgeMinutes: 10 } },
            legacy: { freshness: { column: 'nope', maxAgeMinutes: 10 } },
          },
        });
        expect(results.map((r) => [r.name, r.status, r.message])).toEqual([
          ['freshness:empty.at', 'FAIL', 'empty.at has no values'],
          ['freshness:missing.at', 'FAIL', 'table missing does not exist in the restored copy'],
          ['freshness:orders.note', 'ERROR', 'orders.note is varchar, not a date or time column'],
          ['freshness:legacy.nope', 'ERROR', 'column nope does not exist in table legacy'],
        ]);
      });

      it('passes the columns a table must have, each of its type, synonyms included', async () => {
        const result = await verifyOne({
          tables: {
            orders: {
              columns: {
                id: 'integer',
                NOTE: 'varchar(100)',
                total: 'numeric(10,2)',
                placed_at: 'datetime(3)',
              },
            },
          },
        });
        expect(result).toMatchObject({
          name: 'schema:orders',
          status: 'PASS',
          message: 'orders has the 4 expected columns, each of its type',
          metrics: { columns: 4, wrong: 0 },
        });
      });

      it('fails naming each column of another type, and each one missing', async () => {
        const results = await verify({
          tables: {
            orders: {
              columns: { id: 'bigint', note: 'text', total: 'decimal', shipped_at: 'datetime' },
            },
            missing: { columns: { id: 'int' } },
          },
        });
        expect(results.map((r) => [r.name, r.status, r.message])).toEqual([
          [
            'schema:orders',
            'FAIL',
            expect.stringMatching(
              /^3 of 4 columns of orders not as expected: id is int(\(11\))?, expected bigint; note is varchar\(100\), expected text; shipped_at is missing \(expected datetime\)$/,
            ),
          ],
          ['schema:missing', 'FAIL', 'table missing does not exist in the restored copy'],
        ]);
      });
    });

    describe('custom SQL assertions', () => {
      const count = 'SELECT COUNT(*) FROM orders';

      it('passes and fails on equals, min and max, booleans as MySQL has them', async () => {
        const results = await verify({
          sql: [
            { name: 'count', query: count, expect: { equals: 100 } },
            { name: 'count-wrong', query: count, expect: { equals: 99 } },
            {
              name: 'note',
              query: 'SELECT note FROM orders WHERE id = 7',
              expect: { equals: 'order 7' },
            },
            {
              name: 'total',
              query: 'SELECT total FROM orders WHERE id = 3',
              expect: { equals: 4.5 },
            },
            {
              name: 'flag',
              query: 'SELECT EXISTS (SELECT 1 FROM orders)',
              expect: { equals: true },
            },
            {
              name: 'flag-wrong',
              query: 'SELECT EXISTS (SELECT 1 FROM empty)',
              expect: { equals: true },
            },
            {
              name: 'between',
              query: 'SELECT MAX(id) FROM events',
              expect: { min: 500, max: 500 },
            },
            { name: 'too-low', query: 'SELECT MAX(id) FROM events', expect: { min: 501 } },
            { name: 'no-rows', query: 'SELECT id FROM orders WHERE id < 0', expect: { min: 0 } },
            { name: 'view', query: 'SELECT COUNT(*) FROM orders_v', expect: { equals: 100 } },
          ],
        });
        expect(results.map((r) => [r.name, r.status])).toEqual([
          ['sql:count', 'PASS'],
          ['sql:count-wrong', 'FAIL'],
          ['sql:note', 'PASS'],
          ['sql:total', 'PASS'],
          ['sql:flag', 'PASS'],
          ['sql:flag-wrong', 'FAIL'],
          ['sql:between', 'PASS'],
          ['sql:too-low', 'FAIL'],
          ['sql:no-rows', 'FAIL'],
          ['sql:view', 'PASS'],
        ]);
        expect(results[1]?.message).toBe('got 100, expected = 99');
        expect(results[5]?.message).toBe('got false, expected = true');
        expect(results[8]?.message).toBe('got no value, expected >= 0');
      });

      it('is an ERROR for a query that fails', async () => {
        const result = await verifyOne({
          sql: [{ name: 'broken', query: 'SELECT COUNT(*) FROM missing', expect: { min: 0 } }],
        });
        expect(result).toMatchObject({ name: 'sql:broken', status: 'ERROR' });
        expect(result.message).toMatch(/doesn't exist/);
      });

      it('cannot write: a write, DDL or a second statement is refused unsent, and the data is unchanged', async () => {
        const before = await snapshotOfData();
        const refused: [string, string, RegExp][] = [
          ['insert', "INSERT INTO orders VALUES (1000, 'x', 1, NOW())", /starts with INSERT/],
          ['update', "UPDATE orders SET note = 'changed'", /starts with UPDATE/],
          ['delete', 'DELETE FROM orders', /starts with DELETE/],
          ['truncate', 'TRUNCATE TABLE orders', /starts with TRUNCATE/],
          ['drop', 'DROP TABLE orders', /starts with DROP/],
          ['create', 'CREATE TABLE planted (x INT)', /starts with CREATE/],
          ['read-write', 'SET SESSION TRANSACTION READ WRITE', /starts with SET/],
          ['call', 'CALL wipe()', /starts with CALL/],
          ['multi', 'SELECT 1; DELETE FROM orders', /more than one statement/],
          ['commit', 'COMMIT; DELETE FROM orders', /more than one statement/],
          ['with-delete', 'WITH x AS (SELECT 1) DELETE FROM orders', /leads to DELETE/],
          ['outfile', "SELECT * FROM orders INTO OUTFILE '/tmp/restore-drill-orders'", /INTO/],
          ['executable-comment', 'SELECT 1 /*! , (SELECT sneaky()) */', /runs as SQL/],
        ];
        const results = await verify({
          sql: [
            ...refused.map(([name, query]) => ({ name, query, expect: { min: 0 } })),
            // A stored function that writes: sent, and refused by the READ ONLY transaction.
            { name: 'function', query: 'SELECT sneaky()', expect: { min: 0 } },
            // Still the same, still usable, after every attempt on the same session.
            { name: 'after', query: count, expect: { equals: 100 } },
          ],
        });
        expect(results.map((r) => [r.name, r.status])).toEqual([
          ...refused.map(([name]) => [`sql:${name}`, 'ERROR']),
          ['sql:function', 'ERROR'],
          ['sql:after', 'PASS'],
        ]);
        refused.forEach(([, , reason], i) => {
          expect(results[i]?.message).toMatch(/^refused, not sent: /);
          expect(results[i]?.message).toMatch(reason);
          expect(results[i]?.ms).toBeLessThan(50);
        });
        expect(results[refused.length]?.message).toMatch(/READ ONLY transaction/);
        expect(await snapshotOfData()).toEqual(before);
      });

      it('is an ERROR when a query runs past the statement timeout, and the next one runs', async () => {
        const results = await verify({
          statementTimeoutSeconds: 0.3,
          sql: [
            { name: 'sleep', query: 'SELECT SLEEP(5)', expect: { min: 0 } },
            {
              name: 'benchmark',
              query: "SELECT BENCHMARK(1000000000, MD5('x'))",
              expect: { min: 0 },
            },
            { name: 'after', query: count, expect: { equals: 100 } },
          ],
        });
        expect(results.map((r) => [r.name, r.status])).toEqual([
          ['sql:sleep', 'ERROR'],
          ['sql:benchmark', 'ERROR'],
          ['sql:after', 'PASS'],
        ]);
        for (const slow of results.slice(0, 2)) {
          expect(slow.message).toMatch(/statement timeout of 0\.3 s/);
          // The server stops the statement at its limit, well before it would end.
          expect(slow.ms).toBeLessThan(3_000);
        }
      }, 20_000);
    });

    describe('baselines', () => {
      /** The base tables of the database, by name, as the suite itself lists them. */
      const baseTableNames = async () =>
        (
          await sql<{ name: string }>(
            `SELECT table_name AS name FROM information_schema.tables
              WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1`,
          )
        ).map((t) => t.name);
      const analyze = async (tables: string[]) =>
        sql(`ANALYZE TABLE ${tables.map((t) => quoteName(t)).join(', ')}`);

      it('counts every base table of the database, views left out, near its rows once analyzed', async () => {
        const tables = await baseTableNames();
        await analyze(tables);

        const counts = await verifier.tableCounts(connected().target.connection);

        expect(Object.keys(counts).sort()).toEqual([...tables].sort());
        expect(Object.keys(counts)).toHaveLength(baseTables());
        expect(counts).toHaveProperty(['we`ird']);
        expect(counts).not.toHaveProperty(['orders_v']);
        for (const [table, estimate] of Object.entries(counts)) {
          expect(estimate, table).toEqual(expect.any(Number));
          expect(estimate, table).toBeGreaterThanOrEqual(0);
        }
        // InnoDB estimates from sampled pages; MyISAM and Aria count exactly.
        expect(counts.orders).toBeGreaterThanOrEqual(50);
        expect(counts.orders).toBeLessThanOrEqual(200);
        expect(counts.events).toBeGreaterThanOrEqual(250);
        expect(counts.events).toBeLessThanOrEqual(1000);
        expect(counts.legacy).toBe(3);
        if (hasAria) expect(counts.audit).toBe(2);
      });

      it('fails a copy a table is gone from, naming it, against the counts read before', async () => {
        const kept = 'baseline_kept';
        const dropped = 'baseline_dropped';
        try {
          for (const [table, rows] of [
            [kept, 2000],
            [dropped, 1500],
          ] as const) {
            await sql(`CREATE TABLE ${table} (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB`);
            // Two 50-row series crossed: a recursive CTE stops at 1000 rows.
            await sql(
              `INSERT INTO ${table} WITH RECURSIVE g (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < 49)
                 SELECT a.n * 50 + b.n + 1, CONCAT('row ', a.n * 50 + b.n + 1)
                   FROM g a CROSS JOIN g b WHERE a.n * 50 + b.n < ${rows}`,
            );
            expect(await sql(`SELECT COUNT(*) AS n FROM ${table}`)).toEqual([{ n: rows }]);
          }
          await analyze(await baseTableNames());
          const before = await verifier.tableCounts(connected().target.connection);
          expect(before).toHaveProperty([dropped]);
          const baseline: Baseline = {
            from: 'source',
            takenAt: recoveryPoint.toISOString(),
            drillId: 'drill-shop-20240601t1200-a1b2c3',
            tables: before,
          };
          const options = { tolerancePercent: 50, minRows: 1000 };
          expect(compareWithBaseline(baseline, before, options)).toMatchObject({
            status: 'PASS',
            metrics: { missing: 0, short: 0 },
          });

          await sql(`DROP TABLE ${dropped}`);
          const after = await verifier.tableCounts(connected().target.connection);

          expect(Object.keys(after)).toEqual(Object.keys(before).filter((t) => t !== dropped));
          const judged = compareWithBaseline(baseline, after, options);
          expect(judged).toMatchObject({
            status: 'FAIL',
            metrics: { tables: baseTables() + 2, missing: 1, short: 0 },
          });
          expect(judged.message).toBe(
            `1 of ${baseTables() + 2} tables missing: ${dropped} (against the baseline from the source at ${baseline.takenAt})`,
          );
        } finally {
          await sql(`DROP TABLE IF EXISTS ${kept}, ${dropped}`);
        }
      });
    });

    it('passes everything on a healthy database, and no result holds the password', async () => {
      const results = await verify({
        integrity: true,
        tables: {
          orders: {
            minRows: 100,
            freshness: { column: 'placed_at', maxAgeMinutes: 10 },
            columns: { id: 'int', placed_at: 'datetime(3)' },
          },
          events: { minRows: 500, freshness: { column: 'at', maxAgeMinutes: 60 * 24 * 365 } },
        },
        sql: [
          {
            name: 'totals',
            query: 'SELECT COUNT(*) FROM orders WHERE total < 0',
            expect: { equals: 0 },
          },
        ],
      });
      expect(results.map((r) => [r.name, r.status])).toEqual([
        ['integrity', 'PASS'],
        ['integrity:read-all', 'PASS'],
        ['rows:orders', 'PASS'],
        ['freshness:orders.placed_at', 'PASS'],
        ['schema:orders', 'PASS'],
        ['rows:events', 'PASS'],
        ['freshness:events.at', 'PASS'],
        ['sql:totals', 'PASS'],
      ]);
      expect(JSON.stringify(results)).not.toContain(connected().target.connection.password);
    });
  });
}

/** A password no message could hold by chance. */
export const randomPassword = () => `pw-${randomBytes(12).toString('hex')}`;
