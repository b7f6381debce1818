import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clip, judge, listWithin } from '#adapters/checks.ts';
import { PostgresVerifier, quoteName } from '#adapters/postgres/verifier.ts';
import { type Baseline, compareWithBaseline, type TableCounts } from '#core/baseline.ts';
import type { IntegrityOptions, Target } from '#core/config.ts';
import type { ConnectionInfo } from '#core/ports.ts';
import type { CheckResult } from '#core/state.ts';
import { verifyInCalls } from '#core/verification.ts';

type Checks = Target['checks'];

/** A live PostgreSQL-speaking server the suite may create schemas, tables and functions in. */
export interface CheckTarget {
  /**
   * Where the verifier connects. The database must hold no user tables of its own: the
   * integrity, heap and read-all checks cover every index and table in it, and the suite counts
   * them.
   */
  connection: ConnectionInfo;
  /** Whether the server cancels statements at `statement_timeout` itself (PGlite has no timers). */
  enforcesStatementTimeout: boolean;
  /**
   * Whether one session can end another's with `pg_terminate_backend` (PGlite is a single
   * backend shared by every connection).
   */
  terminatesBackends: boolean;
  /**
   * Whether the verifier may connect as a role the suite creates, with that role's own
   * privileges (PGlite serves every connection as its one user).
   */
  connectsAsOtherRoles: boolean;
  /** Releases the target: stops the server or drops the database. */
  close(): Promise<void>;
}

/** The snapshot's point in time every freshness check measures against. */
const recoveryPoint = new Date('2024-06-01T12:00:00.000Z');

/** Polls `probe` until it returns a value, or gives up after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
  if (address === null || typeof address === 'string') throw new Error('no TCP port was bound');
  return address.port;
}

/** The integrity options named, every other one at its default. */
const integrityWith = (options: Partial<IntegrityOptions>): IntegrityOptions => ({
  indexes: true,
  parentCheck: false,
  heap: true,
  readAll: true,
  checkTable: 'medium',
  ...options,
});
/** Only the index check of integrity: the heap and read-all checks have their own tests. */
const indexesOnly = { integrity: integrityWith({ heap: false, readAll: false }) };
/** Only verify_heapam. */
const heapOnly = { integrity: integrityWith({ indexes: false, readAll: false }) };
/** Only the end-to-end read. */
const readAllOnly = { integrity: integrityWith({ indexes: false, heap: false }) };

/**
 * Runs the PostgresVerifier against a live server: it builds its own schema there, then checks
 * connectivity, amcheck integrity (healthy and corrupt, amcheck missing or too old), the heap
 * and read-all checks, row counts, freshness, custom SQL, the read-only guard, the statement
 * timeout, the time budget and an unreachable server.
 */
export function describeCheckSuite(name: string, connect: () => Promise<CheckTarget>): void {
  describe(name, () => {
    let target: CheckTarget | undefined;
    let admin: pg.Client | undefined;
    const schema = `drill_checks_${randomBytes(4).toString('hex')}`;
    const verifier = new PostgresVerifier();

    const connected = () => {
      if (!target || !admin) throw new Error('the check target did not start');
      return { target, admin };
    };

    /** The suite's own connection, independent of the verifier's. */
    const sql = async <R extends pg.QueryResultRow>(text: string): Promise<R[]> =>
      (await connected().admin.query<R>(text)).rows;

    /**
     * One call of the verifier, with a budget that holds every check, over one session (the
     * tests that block a session on a lock expect the walk to wait there).
     */
    const callAt = (
      connection: ConnectionInfo,
      checks: Partial<Checks>,
      budgetMs = 600_000,
      parallel = 1,
    ) =>
      verifier.verify({
        connection,
        checks: { integrity: false, tables: {}, sql: [], statementTimeoutSeconds: 10, ...checks },
        recoveryPoint,
        parallel,
        budgetMs,
      });

    const verifyAt = async (connection: ConnectionInfo, checks: Partial<Checks>) => {
      const { checks: results, resume } = await callAt(connection, checks);
      expect(resume).toBeUndefined();
      return results;
    };

    /** Verifies against the target, asserts it connected, and returns the other checks' results. */
    const verify = async (
      checks: Partial<Checks>,
      { connection = connected().target.connection } = {},
    ): Promise<CheckResult[]> => {
      const [connectivity, ...rest] = await verifyAt(connection, checks);
      expect(connectivity, connectivity?.message).toMatchObject({
        name: 'connectivity',
        status: 'PASS',
      });
      return rest;
    };

    /** Verifies one check and returns its result. */
    const verifyOne = async (
      checks: Partial<Checks>,
      options?: Parameters<typeof verify>[1],
    ): Promise<CheckResult> => {
      const results = await verify(checks, options);
      expect(results).toHaveLength(1);
      return results[0] as CheckResult;
    };

    const orders = `${schema}.orders`;

    /** The order rows as one value: what a write would change. */
    const ordersDigest = async () =>
      (
        await sql<{ n: number; digest: string }>(`
          select count(*)::int as n,
                 md5(string_agg(id || ':' || note || ':' || placed_at, ',' order by id)) as digest
            from ${orders}`)
      )[0];

    beforeAll(async () => {
      target = await connect();
      admin = new pg.Client({ ...target.connection, connectionTimeoutMillis: 15_000 });
      admin.on('error', () => undefined);
      await admin.connect();
      // B-tree indexes: orders_pkey, events_pkey, events_at_idx, readings_2024_pkey (4, on 3
      // tables). Not counted: the hash index, and the partitioned index readings_pkey.
      // Tables: orders, events, readings_2024, empty, "we""ird" and documents (6, 1206 rows;
      // readings is partitioned, with no storage of its own). documents' bodies are in TOAST.
      await admin.query(`
        create schema ${schema};
        create table ${orders} (id int primary key, note text not null, placed_at timestamptz not null);
        insert into ${orders}
          select g, 'order ' || g, timestamptz '2024-06-01 11:55:00+00' - make_interval(mins => g - 1)
            from generate_series(1, 100) g;
        create index orders_note_hash on ${orders} using hash (note);
        create table ${schema}.events (id bigint primary key, at timestamptz not null);
        create index events_at_idx on ${schema}.events (at);
        insert into ${schema}.events
          select g, timestamptz '2024-01-01 00:00:00+00' + make_interval(mins => g)
            from generate_series(1, 1000) g;
        create table ${schema}.readings (id int, taken_on date, primary key (id, taken_on))
          partition by range (taken_on);
        create table ${schema}.readings_2024 partition of ${schema}.readings
          for values from ('2024-01-01') to ('2025-01-01');
        insert into ${schema}.readings select g, date '2024-01-01' + g from generate_series(0, 99) g;
        create table ${schema}.empty (at timestamptz);
        create table ${schema}."we""ird" (x int);
        insert into ${schema}."we""ird" values (1), (2), (3);
        create table ${schema}.documents (id int not null, body text not null);
        alter table ${schema}.documents alter column body set storage external;
        insert into ${schema}.documents
          select g, repeat(md5(g::text), 400) from generate_series(1, 3) g;
        create function ${schema}.sneaky() returns int language plpgsql volatile
          as 'begin delete from ${orders}; return 0; end';
      `);
    }, 60_000);

    afterAll(async () => {
      try {
        await admin?.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
        await admin?.end().catch(() => undefined);
      } finally {
        await target?.close();
      }
    }, 30_000);

    describe('connectivity', () => {
      it('passes and names the server version', async () => {
        const [connectivity] = await verifyAt(connected().target.connection, {});
        const [{ server_version: version } = { server_version: '?' }] = await sql<{
          server_version: string;
        }>('show server_version');
        expect(connectivity).toMatchObject({ name: 'connectivity', status: 'PASS' });
        expect(connectivity?.message).toMatch(/^PostgreSQL \d+/);
        expect(connectivity?.message).toContain(`PostgreSQL ${version},`);
        expect(connectivity?.metrics?.serverVersion).toBe(version);
      });

      it('is an ERROR on an unreachable port, and every other check is skipped', async () => {
        const port = await closedPort();
        const results = await verifyAt(
          { ...connected().target.connection, port },
          {
            integrity: true,
            tables: {
              [orders]: { minRows: 1, freshness: { column: 'placed_at', maxAgeMinutes: 5 } },
            },
            sql: [{ name: 'orders', query: `select count(*) from ${orders}`, expect: { min: 1 } }],
          },
        );
        expect(results.map((r) => [r.name, r.status])).toEqual([
          ['connectivity', 'ERROR'],
          ['integrity', 'SKIP'],
          ['heap', 'SKIP'],
          ['read-all', 'SKIP'],
          [`rows:${orders}`, 'SKIP'],
          [`freshness:${orders}.placed_at`, 'SKIP'],
          ['sql:orders', 'SKIP'],
        ]);
        expect(results[0]?.message).toMatch(/ECONNREFUSED/);
        for (const skipped of results.slice(1)) expect(skipped.message).toBe('not connected');
      });
    });

    describe('integrity', () => {
      it('passes on healthy B-tree indexes and counts them, partitions included', async () => {
        const result = await verifyOne(indexesOnly);
        expect(result).toMatchObject({
          name: 'integrity',
          status: 'PASS',
          message: '4 B-tree indexes on 3 tables verified against their heap',
          metrics: { indexes: 4, corrupt: 0 },
        });
      });

      it('fails naming the corrupt index and its table', async () => {
        // The index holds f(x) = x; redefining the "immutable" f makes amcheck's heapallindexed
        // pass recompute x + 1, which no index tuple matches.
        await sql(`
          create table ${schema}.corrupt (x int not null);
          insert into ${schema}.corrupt select generate_series(1, 50);
          create function ${schema}.f(int) returns int language sql immutable as 'select $1';
          create index corrupt_f_idx on ${schema}.corrupt (${schema}.f(x));
          create or replace function ${schema}.f(int) returns int language sql immutable
            as 'select $1 + 1';`);
        try {
          const result = await verifyOne(indexesOnly);
          expect(result).toMatchObject({
            name: 'integrity',
            status: 'FAIL',
            metrics: { indexes: 5, corrupt: 1 },
          });
          expect(result.message).toMatch(/^1 of 5 B-tree indexes are corrupt: /);
          expect(result.message).toContain(`index ${schema}.corrupt_f_idx on ${schema}.corrupt: `);
          expect(result.message).toMatch(/lacks matching index tuple/);
          expect(result.message).not.toContain('orders_pkey');
        } finally {
          await sql(`drop table ${schema}.corrupt; drop function ${schema}.f(int);`);
        }
      });

      it('lists at most 10 corrupt indexes in a bounded message, and counts them all', async () => {
        // 15 indexes on the same "immutable" function, all corrupt once it is redefined.
        const count = 15;
        const indexes = Array.from(
          { length: count },
          (_, i) =>
            `create index many_f_idx_${String(i).padStart(2, '0')} on ${schema}.many (${schema}.g(x));`,
        );
        await sql(`
          create table ${schema}.many (x int not null);
          insert into ${schema}.many select generate_series(1, 50);
          create function ${schema}.g(int) returns int language sql immutable as 'select $1';
          ${indexes.join('\n')}
          create or replace function ${schema}.g(int) returns int language sql immutable
            as 'select $1 + 1';`);
        try {
          const result = await verifyOne(indexesOnly);
          expect(result).toMatchObject({
            name: 'integrity',
            status: 'FAIL',
            metrics: { indexes: 4 + count, corrupt: count },
          });
          expect(result.message).toMatch(/^15 of 19 B-tree indexes are corrupt: index /);
          expect(result.message.length).toBeLessThanOrEqual(1_000);
          // Up to 10 are named, fewer if their errors would not fit; the tail counts the rest.
          const named = result.message.match(/index \S+\.many_f_idx_\d\d on /g) ?? [];
          expect(named.length).toBeGreaterThan(0);
          expect(named.length).toBeLessThanOrEqual(10);
          expect(result.message).toMatch(new RegExp(`; and ${count - named.length} more$`));
          expect(result.message).not.toContain('…');
        } finally {
          await sql(`drop table ${schema}.many; drop function ${schema}.g(int);`);
        }
      });

      it('is an ERROR naming the index, not corruption, when its connection drops', async ({
        skip,
      }) => {
        const { target, admin } = connected();
        if (!target.terminatesBackends)
          skip('this server cannot terminate one session from another');
        // Another session holds orders' table locked, so the verifier blocks on its first index
        // there (after the two events indexes), where it is terminated.
        const holder = new pg.Client({ ...target.connection, connectionTimeoutMillis: 15_000 });
        holder.on('error', () => undefined);
        await holder.connect();
        let running: Promise<CheckResult[]> | undefined;
        try {
          const { rows: held } = await holder.query<{ pid: number }>(
            'select pg_backend_pid() as pid',
          );
          await holder.query('begin');
          await holder.query(`lock table ${orders} in access exclusive mode`);
          running = verify(indexesOnly);
          running.catch(() => undefined);
          const blocked = await waitFor('the verifier to wait on the lock', async () => {
            const { rows } = await admin.query<{ pid: number }>(
              `select pid from pg_stat_activity
                where $1::int = any(pg_blocking_pids(pid)) and query like '%bt_index_check%'`,
              [held[0]?.pid],
            );
            return rows[0]?.pid;
          });
          await admin.query('select pg_terminate_backend($1)', [blocked]);
          const results = await running;
          expect(results).toHaveLength(1);
          const [integrity] = results;
          expect(integrity).toMatchObject({ name: 'integrity', status: 'ERROR' });
          expect(integrity?.message).toMatch(
            new RegExp(`^could not check index ${schema}\\.orders_pkey on ${schema}\\.orders: `),
          );
          expect(integrity?.message).toMatch(/terminat/i);
          expect(integrity?.metrics).toMatchObject({ corrupt: 0 });
        } finally {
          await holder.query('rollback').catch(() => undefined);
          await holder.end().catch(() => undefined);
          await running?.catch(() => undefined);
        }
      }, 30_000);

      it('uses amcheck where it is installed, even outside the search path', async () => {
        const extensions = `${schema}_ext`;
        await sql(`
          drop extension if exists amcheck;
          create schema ${extensions};
          create extension amcheck schema ${extensions};`);
        try {
          const result = await verifyOne(indexesOnly);
          expect(result).toMatchObject({ status: 'PASS', metrics: { indexes: 4, corrupt: 0 } });
          const [installed] = await sql<{ schema: string }>(`
            select extnamespace::regnamespace::text as schema
              from pg_extension where extname = 'amcheck'`);
          expect(installed?.schema).toBe(extensions);
        } finally {
          await sql(`drop extension amcheck; drop schema ${extensions};`);
        }
      });
    });

    describe('integrity options', () => {
      it('with parentCheck, checks every index against its parent too, and fails a corrupt one', async () => {
        const parent = { integrity: { ...indexesOnly.integrity, parentCheck: true } };
        const healthy = await verifyOne(parent);
        expect(healthy).toMatchObject({
          name: 'integrity',
          status: 'PASS',
          message:
            '4 B-tree indexes on 3 tables verified against their heap, each page against its parent',
          metrics: { indexes: 4, corrupt: 0, tables: 3 },
        });
        await sql(`
          create table ${schema}.corrupt (x int not null);
          insert into ${schema}.corrupt select generate_series(1, 50);
          create function ${schema}.f(int) returns int language sql immutable as 'select $1';
          create index corrupt_f_idx on ${schema}.corrupt (${schema}.f(x));
          create or replace function ${schema}.f(int) returns int language sql immutable
            as 'select $1 + 1';`);
        try {
          const result = await verifyOne(parent);
          expect(result).toMatchObject({ status: 'FAIL', metrics: { indexes: 5, corrupt: 1 } });
          expect(result.message).toContain(`index ${schema}.corrupt_f_idx on ${schema}.corrupt: `);
        } finally {
          await sql(`drop table ${schema}.corrupt; drop function ${schema}.f(int);`);
        }
      });

      it('counts the bytes of the indexes it checked', async () => {
        const result = await verifyOne(indexesOnly);
        const [{ bytes } = { bytes: '-1' }] = await sql<{ bytes: string }>(`
          select sum(pg_relation_size(i.indexrelid)) as bytes
            from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
           where c.relnamespace = '${schema}'::regnamespace and am.amname = 'btree'
             and c.relkind = 'i'`);
        expect(result.metrics?.bytes).toBe(Number(bytes));
      });
    });

    describe('heap', () => {
      it('passes every healthy table, TOAST included, and counts them and their bytes', async () => {
        const result = await verifyOne(heapOnly);
        const [{ bytes } = { bytes: '-1' }] = await sql<{ bytes: string }>(`
          select sum(pg_relation_size(oid)
                     + coalesce(pg_relation_size(nullif(reltoastrelid, 0)), 0)) as bytes
            from pg_class where relnamespace = '${schema}'::regnamespace and relkind = 'r'`);
        expect(result).toMatchObject({
          name: 'heap',
          status: 'PASS',
          metrics: { tables: 6, corrupt: 0, bytes: Number(bytes) },
        });
        expect(result.message).toMatch(
          /^6 tables \(\d+ KiB with TOAST\) verified: every tuple header and TOAST pointer$/,
        );
      });
    });

    describe('read-all', () => {
      it('reads every table end to end and counts its rows and bytes', async () => {
        const result = await verifyOne(readAllOnly);
        expect(result).toMatchObject({
          name: 'read-all',
          status: 'PASS',
          metrics: { tables: 6, rows: 1206, unreadable: 0 },
        });
        expect(result.metrics?.bytes).toBeGreaterThan(3 * 12_000);
        expect(result.metrics?.mbPerSecond).toEqual(expect.any(Number));
        expect(result.message).toMatch(
          /^6 tables read end to end, TOAST included: 1206 rows, \d+ KiB at [\d.]+ MB\/s$/,
        );
      });

      it('covers materialized views, reads only the populated ones, and whole rows', async () => {
        // A column named like the reading query's alias must not stand in for the row.
        await sql(`
          create table ${schema}.aliased (r int, body text);
          insert into ${schema}.aliased values (1, 'x'), (2, 'y');
          create materialized view ${schema}.totals as select count(*) as n from ${orders};
          create materialized view ${schema}.later as select 1 as one with no data;`);
        try {
          const results = await verify({ integrity: integrityWith({ indexes: false }) });
          expect(results).toMatchObject([
            { name: 'heap', status: 'PASS', metrics: { tables: 9 } },
            { name: 'read-all', status: 'PASS', metrics: { tables: 8, rows: 1209 } },
          ]);
        } finally {
          await sql(`
            drop table ${schema}.aliased;
            drop materialized view ${schema}.totals;
            drop materialized view ${schema}.later;`);
        }
      });

      it('is an ERROR naming the table it was reading when its time runs out', async ({ skip }) => {
        const { target } = connected();
        if (!target.enforcesStatementTimeout || !target.terminatesBackends)
          skip('this server neither cancels statements nor blocks one session on another');
        // Another session holds orders locked: the read waits there until the budget runs out.
        const holder = new pg.Client({ ...target.connection, connectionTimeoutMillis: 15_000 });
        holder.on('error', () => undefined);
        await holder.connect();
        try {
          await holder.query('begin');
          await holder.query(`lock table ${orders} in access exclusive mode`);
          const connection = target.connection;
          const first = await callAt(connection, readAllOnly, 1_500);
          const cut = first.checks.find((r) => r.name === 'read-all');
          expect(cut).toMatchObject({ status: 'ERROR' });
          expect(cut?.message).toMatch(/verified so far, the rest not yet, from table /);
          expect(Object.keys(first.resume ?? {})).toEqual(['read-all']);
          // Cut short again, in the call after: unverified, named, never a PASS.
          let again = first;
          for (let call = 0; again.resume && call < 5; call++) {
            again = await verifier.verify({
              connection,
              checks: { tables: {}, sql: [], statementTimeoutSeconds: 10, ...readAllOnly },
              recoveryPoint,
              parallel: 1,
              budgetMs: 1_500,
              resume: again.resume,
            });
          }
          const [result] = again.checks;
          expect(again.resume).toBeUndefined();
          expect(result).toMatchObject({ name: 'read-all', status: 'ERROR' });
          expect(result?.message).toContain(
            `table ${orders}: not verified within one invocation's budget (canceling statement due to statement timeout)`,
          );
          expect(result?.ms).toBeLessThan(5_000);
        } finally {
          await holder.query('rollback').catch(() => undefined);
          await holder.end().catch(() => undefined);
        }
      }, 30_000);
    });

    describe('time budget', () => {
      it('leaves every check for the next call once it is used up, saying so', async () => {
        const { checks: results, resume } = await callAt(
          connected().target.connection,
          {
            integrity: true,
            tables: { [orders]: { minRows: 1 } },
            sql: [{ name: 'orders', query: `select count(*) from ${orders}`, expect: { min: 1 } }],
          },
          0,
        );
        const names = ['integrity', 'heap', 'read-all', `rows:${orders}`, 'sql:orders'];
        expect(results.map((r) => [r.name, r.status, r.message])).toEqual([
          ['connectivity', 'PASS', expect.any(String)],
          ...names.map((name) => [
            name,
            'ERROR',
            "not run yet: the checks before it used this invocation's time budget",
          ]),
        ]);
        expect(Object.keys(resume ?? {})).toEqual(names);
      });
    });

    describe('a database too large for one invocation', () => {
      const big = `${schema}_big`;
      const TABLES = 30;

      beforeAll(async () => {
        const tables = Array.from({ length: TABLES }, (_, i) => {
          const t = `${big}.t${String(i).padStart(2, '0')}`;
          return `create table ${t} (id int primary key, body text not null);
                  insert into ${t} select n, repeat('x', 200) from generate_series(1, 200) n;`;
        });
        await sql(`create schema ${big}; ${tables.join('\n')}`);
      });
      afterAll(async () => {
        await sql(`drop schema if exists ${big} cascade`);
      });

      /**
       * Every check to the end over as many calls as it takes, on a clock that moves 30 s each
       * time the verifier reads it: a call's 12 minutes hold only a few units. Tables are
       * walked two blocks at a time, so each is read range by range.
       */
      const verifyInManyCalls = async () => {
        await sql(`analyze`);
        let ms = 0;
        const slow = new PostgresVerifier({ now: () => (ms += 30_000), blocksPerUnit: 2 });
        const request = {
          connection: connected().target.connection,
          checks: { tables: {}, sql: [], statementTimeoutSeconds: 10, integrity: true },
          recoveryPoint,
          parallel: 4,
        };
        return verifyInCalls(slow, request, 240);
      };

      it('verifies every index and table completely, over several calls, as one call does', async () => {
        const once = await verifyAt(connected().target.connection, { integrity: true });
        const { checks, calls } = await verifyInManyCalls();
        expect(calls).toBeGreaterThan(3);
        const shown = (results: CheckResult[]) =>
          results.map(({ name, status, metrics }) => ({
            name,
            status,
            indexes: metrics?.indexes,
            tables: metrics?.tables,
            rows: metrics?.rows,
            bytes: metrics?.bytes,
          }));
        expect(shown(checks)).toEqual(shown(once));
        expect(checks.map((c) => c.status)).toEqual(['PASS', 'PASS', 'PASS', 'PASS']);
        expect(checks[1]?.metrics?.indexes).toBeGreaterThanOrEqual(TABLES);
      }, 120_000);

      it('finds a corrupt index in a later call, names it, and still verifies the rest', async () => {
        await sql(`
          create function ${big}.f(int) returns int language sql immutable as 'select $1';
          create index t29_f_idx on ${big}.t29 (${big}.f(id));
          create or replace function ${big}.f(int) returns int language sql immutable
            as 'select $1 + 1';`);
        try {
          const { checks, calls } = await verifyInManyCalls();
          expect(calls).toBeGreaterThan(3);
          const integrity = checks.find((c) => c.name === 'integrity');
          expect(integrity).toMatchObject({ status: 'FAIL', metrics: { corrupt: 1 } });
          expect(integrity?.message).toContain(`index ${big}.t29_f_idx on ${big}.t29: `);
          expect(checks.filter((c) => c.status !== 'PASS').map((c) => c.name)).toEqual([
            'integrity',
          ]);
        } finally {
          await sql(`drop index ${big}.t29_f_idx; drop function ${big}.f(int);`);
        }
      }, 120_000);
    });

    describe('amcheck missing or too old', () => {
      /** Replaces the suite's amcheck with `version`, runs `body`, then removes it. */
      const withAmcheck = async (version: string, body: () => Promise<void>) => {
        await sql(
          `drop extension if exists amcheck; create extension amcheck version '${version}';`,
        );
        try {
          await body();
        } finally {
          await sql('drop extension if exists amcheck');
        }
      };

      it('skips (never passes) every amcheck check when amcheck 1.0 has neither function', () =>
        withAmcheck('1.0', async () => {
          const results = await verify({ integrity: true });
          expect(results.map((r) => [r.name, r.status])).toEqual([
            ['integrity', 'SKIP'],
            ['heap', 'SKIP'],
            ['read-all', 'PASS'],
          ]);
          expect(results[0]?.message).toBe(
            'not run: amcheck 1.0 on the copy has no bt_index_check(heapallindexed), added in amcheck 1.1 (PostgreSQL 11); ALTER EXTENSION amcheck UPDATE adds it',
          );
          expect(results[1]?.message).toMatch(
            /^not run: amcheck 1\.0 on the copy has no verify_heapam\(check_toast\), added in amcheck 1\.3 \(PostgreSQL 14\)/,
          );
          const parent = await verifyOne({
            integrity: integrityWith({ heap: false, readAll: false, parentCheck: true }),
          });
          expect(parent).toMatchObject({ status: 'SKIP' });
          expect(parent.message).toMatch(/has no bt_index_parent_check\(heapallindexed\)/);
        }));

      it('checks indexes and skips the heap with amcheck 1.2, which has no verify_heapam', () =>
        withAmcheck('1.2', async () => {
          const results = await verify({ integrity: integrityWith({ readAll: false }) });
          expect(results.map((r) => [r.name, r.status])).toEqual([
            ['integrity', 'PASS'],
            ['heap', 'SKIP'],
          ]);
          expect(results[1]?.message).toMatch(
            /^not run: amcheck 1\.2 on the copy has no verify_heapam/,
          );
        }));

      it('skips when the user may not install amcheck, or may not run it', async ({ skip }) => {
        if (!connected().target.connectsAsOtherRoles)
          skip('this server serves every connection as the same user');
        const role = `drill_reader_${randomBytes(4).toString('hex')}`;
        await sql(`
          drop extension if exists amcheck;
          create role ${role} login;
          grant usage on schema ${schema} to ${role};
          grant select on all tables in schema ${schema} to ${role};`);
        try {
          const asReader = { connection: { ...connected().target.connection, user: role } };
          const denied = await verify({ integrity: true }, asReader);
          expect(denied.map((r) => [r.name, r.status])).toEqual([
            ['integrity', 'SKIP'],
            ['heap', 'SKIP'],
            ['read-all', 'PASS'],
          ]);
          for (const skipped of denied.slice(0, 2))
            expect(skipped.message).toMatch(
              /^not run: amcheck is not installed on the copy and cannot be: permission denied to create extension "amcheck"/,
            );
          await sql('create extension amcheck');
          const unprivileged = await verify(
            { integrity: integrityWith({ readAll: false }) },
            asReader,
          );
          expect(unprivileged).toMatchObject([
            {
              name: 'integrity',
              status: 'SKIP',
              message: `not run: user ${role} may not execute amcheck's bt_index_check (grant EXECUTE on it, or connect as the copy's owner)`,
            },
            { name: 'heap', status: 'SKIP', message: expect.stringContaining('verify_heapam') },
          ]);
        } finally {
          await sql(`drop owned by ${role}; drop role ${role};`);
        }
      });
    });

    describe('a healthy database', () => {
      it('passes every check, with no false alarm', async () => {
        await sql('create extension if not exists amcheck');
        const results = await verify({
          integrity: integrityWith({ parentCheck: true }),
          tables: {
            [orders]: {
              columns: { id: 'int', note: 'text', placed_at: 'timestamptz' },
              minRows: 100,
              freshness: { column: 'placed_at', maxAgeMinutes: 10 },
            },
            [`${schema}.events`]: { columns: { id: 'bigint', at: 'timestamptz' }, minRows: 1000 },
            [`${schema}.documents`]: { minRows: 3 },
          },
          sql: [
            { name: 'orders', query: `select count(*) from ${orders}`, expect: { equals: 100 } },
          ],
        });
        expect(results.map((r) => r.name)).toEqual([
          'integrity',
          'heap',
          'read-all',
          `schema:${orders}`,
          `rows:${orders}`,
          `freshness:${orders}.placed_at`,
          `schema:${schema}.events`,
          `rows:${schema}.events`,
          `rows:${schema}.documents`,
          'sql:orders',
        ]);
        expect(results.filter((r) => r.status !== 'PASS')).toEqual([]);
      });
    });

    describe('table counts (baselines)', () => {
      const mine = (counts: TableCounts) =>
        Object.fromEntries(Object.entries(counts).filter(([t]) => t.startsWith(`${schema}.`)));

      it('lists every user table with the catalog’s estimate, partitions under their parent', async () => {
        await sql(`analyze ${orders}; analyze ${schema}.events; analyze ${schema}.readings`);
        const counts = mine(await verifier.tableCounts(connected().target.connection));
        expect(Object.keys(counts).sort()).toEqual(
          ['documents', 'empty', 'events', 'orders', 'readings', 'we"ird'].map(
            (t) => `${schema}.${t}`,
          ),
        );
        expect(counts).toMatchObject({
          [orders]: 100,
          [`${schema}.events`]: 1000,
          [`${schema}.readings`]: 100,
        });
      });

      it('shows every table to a role that may only log in, and reads none', async ({ skip }) => {
        if (!connected().target.connectsAsOtherRoles)
          skip('this server serves every connection as the same user');
        const role = `drill_catalog_${randomBytes(4).toString('hex')}`;
        await sql(`create role ${role} login`);
        try {
          const asRole = { ...connected().target.connection, user: role };
          const seen = mine(await verifier.tableCounts(asRole));
          expect(seen).toEqual(mine(await verifier.tableCounts(connected().target.connection)));
          expect(Object.keys(seen)).toHaveLength(6);
        } finally {
          await sql(`drop role ${role}`);
        }
      });

      it('fails a copy missing a table of the baseline, naming it', async () => {
        const { connection } = connected().target;
        await sql(
          `create table ${schema}.ledger (id int); insert into ${schema}.ledger values (1)`,
        );
        const before = mine(await verifier.tableCounts(connection));
        await sql(`drop table ${schema}.ledger`);
        const after = mine(await verifier.tableCounts(connection));
        const baseline: Baseline = {
          from: 'source',
          takenAt: '2024-06-01T12:00:00.000Z',
          drillId: 'drill-checks',
          tables: before,
        };
        const judged = compareWithBaseline(baseline, after, { tolerancePercent: 50, minRows: 10 });
        expect(judged.status).toBe('FAIL');
        expect(judged.message).toMatch(
          new RegExp(`^1 of 7 tables missing: ${schema}\\.ledger \\(`),
        );
      });
    });

    describe('schema', () => {
      const typed = `${schema}.typed`;

      beforeAll(async () => {
        await sql(`
          create type ${schema}.mood as enum ('ok', 'sad');
          create table ${typed} (
            id bigint not null, n int, small smallint, price numeric(12, 2), ratio float8,
            r real, flag boolean, name varchar(40), code char(3), note text, at timestamptz,
            at3 timestamp(3) with time zone, local timestamp, d date, t time, span interval,
            tags text[], grid int[][], doc jsonb, uid uuid, m ${schema}.mood, "MixedCase" int);
          alter table ${typed} drop column note;`);
      });

      afterAll(async () => {
        await sql(`drop table ${typed}; drop type ${schema}.mood;`);
      });

      it('passes when every column is there with its type, aliases accepted', async () => {
        const columns = {
          id: 'int8',
          n: 'int',
          small: 'int2',
          price: 'numeric(12,2)',
          ratio: 'double precision',
          r: 'float4',
          flag: 'bool',
          name: 'varchar',
          code: 'char(3)',
          at: 'timestamptz',
          at3: 'timestamptz',
          local: 'timestamp',
          d: 'date',
          t: 'time',
          span: 'interval',
          tags: 'text[]',
          grid: 'integer[]',
          doc: 'jsonb',
          uid: 'uuid',
          m: 'mood',
          MixedCase: 'integer',
        };
        const result = await verifyOne({ tables: { [typed]: { columns } } });
        expect(result).toMatchObject({
          name: `schema:${typed}`,
          status: 'PASS',
          message: `${typed} has the 21 expected columns, each of the expected type`,
          metrics: { columns: 21, missing: 0, mismatched: 0 },
        });
        const qualified = await verifyOne({
          tables: { [typed]: { columns: { m: `${schema}.mood`, name: 'character varying(40)' } } },
        });
        expect(qualified.status).toBe('PASS');
      });

      it('fails naming each missing column and each column of another type', async () => {
        const result = await verifyOne({
          tables: {
            [typed]: {
              columns: {
                id: 'integer',
                n: 'int',
                name: 'varchar(20)',
                at: 'timestamp',
                note: 'text',
                mixedcase: 'int',
                m: 'text',
              },
            },
          },
        });
        expect(result).toMatchObject({
          name: `schema:${typed}`,
          status: 'FAIL',
          metrics: { columns: 7, missing: 2, mismatched: 4 },
        });
        expect(result.message).toBe(
          [
            `6 of 7 expected columns of ${typed} are wrong: column id is bigint, expected integer`,
            'column name is character varying(40), expected varchar(20)',
            'column at is timestamp with time zone, expected timestamp',
            // A dropped column is gone, even though its slot remains.
            'missing column note',
            'missing column mixedcase (there is MixedCase)',
            `column m is ${schema}.mood, expected text`,
          ].join('; '),
        );
      });

      it('fails for a missing table, and runs before its other checks', async () => {
        const results = await verify({
          tables: { [`${schema}.missing`]: { columns: { id: 'int' }, minRows: 0 } },
        });
        expect(results).toMatchObject([
          {
            name: `schema:${schema}.missing`,
            status: 'FAIL',
            message: `table ${schema}.missing does not exist in the restored copy`,
          },
          { name: `rows:${schema}.missing`, status: 'FAIL' },
        ]);
      });
    });

    describe('tables', () => {
      it('passes minRows when there are enough rows', async () => {
        const result = await verifyOne({ tables: { [orders]: { minRows: 100 } } });
        expect(result).toMatchObject({
          name: `rows:${orders}`,
          status: 'PASS',
          message: `100 rows in ${orders}, at least 100 expected`,
          metrics: { rows: 100 },
        });
      });

      it('fails minRows when there are too few', async () => {
        const result = await verifyOne({ tables: { [orders]: { minRows: 101 } } });
        expect(result).toMatchObject({
          status: 'FAIL',
          message: `100 rows in ${orders}, at least 101 expected`,
          metrics: { rows: 100 },
        });
      });

      it('fails for a missing table, in an existing schema or not', async () => {
        const results = await verify({
          tables: { [`${schema}.missing`]: { minRows: 0 }, 'nowhere.missing': { minRows: 0 } },
        });
        expect(results).toMatchObject([
          {
            name: `rows:${schema}.missing`,
            status: 'FAIL',
            message: `table ${schema}.missing does not exist in the restored copy`,
          },
          {
            name: 'rows:nowhere.missing',
            status: 'FAIL',
            message: 'table nowhere.missing does not exist in the restored copy',
          },
        ]);
      });

      it('quotes table names, double quotes included', async () => {
        const weird = `${schema}.we"ird`;
        const result = await verifyOne({ tables: { [weird]: { minRows: 3 } } });
        expect(result).toMatchObject({ status: 'PASS', metrics: { rows: 3 } });
      });
    });

    describe('freshness', () => {
      const freshness = (maxAgeMinutes: number, table = orders, column = 'placed_at') => ({
        tables: { [table]: { freshness: { column, maxAgeMinutes } } },
      });

      it('passes when the newest row is within maxAgeMinutes of the recovery point', async () => {
        const result = await verifyOne(freshness(10));
        expect(result).toMatchObject({
          name: `freshness:${orders}.placed_at`,
          status: 'PASS',
          metrics: { newestAt: '2024-06-01T11:55:00.000Z', lagMs: 5 * 60_000 },
        });
        expect(result.message).toContain('newest placed_at is 2024-06-01T11:55:00.000Z');
        expect(result.message).toContain('(limit 10 min)');
      });

      it('fails when the newest row is older than that', async () => {
        const result = await verifyOne(freshness(4));
        expect(result).toMatchObject({
          status: 'FAIL',
          metrics: { newestAt: '2024-06-01T11:55:00.000Z', lagMs: 5 * 60_000 },
        });
        expect(result.message).toContain('(limit 4 min)');
      });

      it('ignores rows dated after the recovery point, and says how many', async () => {
        // Only the 2099 rows are newer than the recovery point: without the bound, the stale
        // table would pass forever.
        await sql(`
          create table ${schema}.fresh_future (at timestamptz);
          insert into ${schema}.fresh_future values
            ('2024-06-01 11:58:00+00'), ('2024-06-01 11:00:00+00'), ('2099-01-01 00:00:00+00');
          create table ${schema}.stale_future (at timestamp);
          insert into ${schema}.stale_future values
            ('2024-05-01 00:00:00'), ('2099-01-01 00:00:00'), ('2099-06-01 00:00:00'), (null);
          create table ${schema}.only_future (at timestamptz);
          insert into ${schema}.only_future values ('2099-01-01 00:00:00+00');`);
        try {
          const fresh = await verifyOne(freshness(10, `${schema}.fresh_future`, 'at'));
          expect(fresh).toMatchObject({
            status: 'PASS',
            metrics: { newestAt: '2024-06-01T11:58:00.000Z', lagMs: 2 * 60_000, futureRows: 1 },
          });
          expect(fresh.message).toContain('2 min 0 s before the recovery point');
          expect(fresh.message).toMatch(
            /\(limit 10 min\) \(ignoring 1 row dated more than 5 min after the recovery point\)$/,
          );

          const stale = await verifyOne(freshness(60, `${schema}.stale_future`, 'at'));
          expect(stale).toMatchObject({ status: 'FAIL', metrics: { futureRows: 2 } });
          expect(stale.metrics?.lagMs).toBeGreaterThan(60 * 60_000);
          expect(stale.message).toContain('(ignoring 2 rows dated more than 5 min after');

          const only = await verifyOne(freshness(60, `${schema}.only_future`, 'at'));
          expect(only).toMatchObject({
            status: 'FAIL',
            message: `${schema}.only_future.at has no values at or before the recovery point (ignoring 1 row dated more than 5 min after the recovery point)`,
            metrics: { futureRows: 1 },
          });
        } finally {
          await sql(`
            drop table ${schema}.fresh_future;
            drop table ${schema}.stale_future;
            drop table ${schema}.only_future;`);
        }
      });

      it('takes a row a little after the recovery point as clock skew, lag 0', async () => {
        await sql(`
          create table ${schema}.skewed (at timestamptz);
          insert into ${schema}.skewed values ('2024-06-01 12:02:00+00'), ('2024-06-01 11:00:00+00');`);
        try {
          const result = await verifyOne(freshness(1, `${schema}.skewed`, 'at'));
          expect(result).toMatchObject({
            status: 'PASS',
            metrics: { newestAt: '2024-06-01T12:02:00.000Z', lagMs: 0, futureRows: 0 },
          });
          expect(result.message).toContain(
            '2 min 0 s after the recovery point, within the clock-skew allowance',
          );
          expect(result.message).not.toContain('ignoring');
        } finally {
          await sql(`drop table ${schema}.skewed;`);
        }
      });

      it('fails for an empty table and for a missing one', async () => {
        const empty = await verifyOne(freshness(10, `${schema}.empty`, 'at'));
        expect(empty).toMatchObject({
          status: 'FAIL',
          message: `${schema}.empty.at has no values`,
        });
        const missing = await verifyOne(freshness(10, `${schema}.missing`, 'at'));
        expect(missing).toMatchObject({
          status: 'FAIL',
          message: `table ${schema}.missing does not exist in the restored copy`,
        });
      });
    });

    describe('custom SQL assertions', () => {
      const count = `select count(*) from ${orders}`;
      const newestEvent = `select max(id) from ${schema}.events`;

      it('passes and fails on equals', async () => {
        const results = await verify({
          sql: [
            { name: 'count', query: count, expect: { equals: 100 } },
            { name: 'count-wrong', query: count, expect: { equals: 99 } },
            {
              name: 'note',
              query: `select note from ${orders} where id = 7`,
              expect: { equals: 'order 7' },
            },
            {
              name: 'note-wrong',
              query: `select note from ${orders} where id = 8`,
              expect: { equals: 'order 7' },
            },
            {
              name: 'flag',
              query: `select exists (select from ${orders})`,
              expect: { equals: true },
            },
          ],
        });
        expect(results.map((r) => [r.name, r.status])).toEqual([
          ['sql:count', 'PASS'],
          ['sql:count-wrong', 'FAIL'],
          ['sql:note', 'PASS'],
          ['sql:note-wrong', 'FAIL'],
          ['sql:flag', 'PASS'],
        ]);
        expect(results[0]?.message).toMatch(/^got "?100"?, expected = 100$/);
        expect(results[1]?.message).toMatch(/^got "?100"?, expected = 99$/);
        expect(results[3]?.message).toBe('got "order 8", expected = "order 7"');
      });

      it('passes and fails on min and max', async () => {
        const results = await verify({
          sql: [
            { name: 'between', query: newestEvent, expect: { min: 1000, max: 1000 } },
            { name: 'too-low', query: newestEvent, expect: { min: 1001 } },
            { name: 'too-high', query: newestEvent, expect: { max: 999 } },
            { name: 'no-rows', query: `${newestEvent} having false`, expect: { min: 0 } },
          ],
        });
        expect(results.map((r) => [r.name, r.status])).toEqual([
          ['sql:between', 'PASS'],
          ['sql:too-low', 'FAIL'],
          ['sql:too-high', 'FAIL'],
          ['sql:no-rows', 'FAIL'],
        ]);
        expect(results[0]?.message).toMatch(/expected >= 1000 and <= 1000$/);
        expect(results[3]?.message).toBe('got no value, expected >= 0');
      });

      it('is an ERROR for a query that fails', async () => {
        const result = await verifyOne({
          sql: [
            { name: 'broken', query: `select count(*) from ${schema}.missing`, expect: { min: 0 } },
          ],
        });
        expect(result).toMatchObject({ name: 'sql:broken', status: 'ERROR' });
        expect(result.message).toMatch(/does not exist/);
      });

      it('cannot write: every writing query is an ERROR and the data is unchanged', async () => {
        const before = await ordersDigest();
        expect(before?.n).toBe(100);
        const writes: [string, string, RegExp][] = [
          [
            'insert',
            `insert into ${orders} values (1000, 'x', now())`,
            /cannot execute INSERT in a read-only transaction/,
          ],
          ['update', `update ${orders} set note = 'changed'`, /read-only transaction/],
          ['delete', `delete from ${orders}`, /cannot execute DELETE in a read-only transaction/],
          [
            'cte',
            `with gone as (delete from ${orders} returning id) select count(*) from gone`,
            /read-only transaction/,
          ],
          ['function', `select ${schema}.sneaky()`, /read-only transaction/],
          ['multi', `commit; delete from ${orders}`, /multiple commands/],
          ['multi-select', `select 1; delete from ${orders}`, /multiple commands/],
        ];
        const results = await verify({
          sql: [
            ...writes.map(([name, query]) => ({ name, query, expect: { min: 0 } })),
            // Still the same, still usable, after every attempt on the same connection.
            { name: 'after', query: count, expect: { equals: 100 } },
          ],
        });
        expect(results.map((r) => [r.name, r.status])).toEqual([
          ...writes.map(([name]) => [`sql:${name}`, 'ERROR']),
          ['sql:after', 'PASS'],
        ]);
        writes.forEach(([, , error], i) => {
          expect(results[i]?.message).toMatch(error);
        });
        expect(await ordersDigest()).toEqual(before);
      });

      it('is an ERROR when a query runs past the statement timeout', async () => {
        const results = await verify({
          statementTimeoutSeconds: 0.2,
          sql: [
            { name: 'slow', query: 'select pg_sleep(5)', expect: { equals: '' } },
            { name: 'after', query: count, expect: { equals: 100 } },
          ],
        });
        expect(results.map((r) => [r.name, r.status])).toEqual([
          ['sql:slow', 'ERROR'],
          ['sql:after', 'PASS'],
        ]);
        expect(results[0]?.message).toMatch(/statement timeout/);
        // A server with timers cancels the query itself, well before it would end.
        if (connected().target.enforcesStatementTimeout) expect(results[0]?.ms).toBeLessThan(2_000);
      }, 20_000);
    });
  });
}

/** Plain unit tests of the verifier's helpers; they need no server. */
export function describeVerifierHelpers(): void {
  describe('judge', () => {
    it('compares numbers and numeric strings (how pg returns bigint counts) with equals', () => {
      expect(judge(5, { equals: 5 })).toEqual({ ok: true, message: 'got 5, expected = 5' });
      expect(judge('5', { equals: 5 }).ok).toBe(true);
      expect(judge('5.0', { equals: 5 }).ok).toBe(true);
      expect(judge(6, { equals: 5 })).toEqual({ ok: false, message: 'got 6, expected = 5' });
      expect(judge('abc', { equals: 5 }).ok).toBe(false);
      expect(judge('', { equals: 0 }).ok).toBe(false);
    });

    it('compares strings and booleans with equals', () => {
      expect(judge('ok', { equals: 'ok' })).toEqual({
        ok: true,
        message: 'got "ok", expected = "ok"',
      });
      expect(judge('OK', { equals: 'ok' }).ok).toBe(false);
      expect(judge(true, { equals: true })).toEqual({
        ok: true,
        message: 'got true, expected = true',
      });
      expect(judge(false, { equals: true }).ok).toBe(false);
      expect(judge('1', { equals: '1' }).ok).toBe(true);
    });

    it('checks min and max, inclusive, together or alone', () => {
      expect(judge(10, { min: 1, max: 10 })).toEqual({
        ok: true,
        message: 'got 10, expected >= 1 and <= 10',
      });
      expect(judge('1', { min: 1 }).ok).toBe(true);
      expect(judge(0.5, { min: 1 }).ok).toBe(false);
      expect(judge(11, { max: 10 }).ok).toBe(false);
      expect(judge(-3, { max: 10 }).ok).toBe(true);
      expect(judge('many', { min: 1 }).ok).toBe(false);
      expect(judge(5, { equals: 5, min: 6 }).ok).toBe(false);
    });

    it('fails when there is no value', () => {
      expect(judge(null, { min: 0 })).toEqual({
        ok: false,
        message: 'got no value, expected >= 0',
      });
      expect(judge(undefined, { equals: 'x' })).toEqual({
        ok: false,
        message: 'got no value, expected = "x"',
      });
    });
  });

  describe('clip', () => {
    it('keeps short text and cuts long text to the limit, ending in an ellipsis', () => {
      expect(clip('short', 10)).toBe('short');
      expect(clip('x'.repeat(10), 10)).toBe('x'.repeat(10));
      expect(clip('x'.repeat(5_000), 1_000)).toBe(`${'x'.repeat(999)}…`);
    });

    it('never leaves half a surrogate pair', () => {
      const cut = clip(`abcd${'😀'.repeat(5)}`, 6);
      expect(cut).toBe('abcd…');
      expect(cut.isWellFormed()).toBe(true);
    });
  });

  describe('listWithin', () => {
    const items = Array.from({ length: 15 }, (_, i) => `index i${i}: corrupt`);

    it('lists at most that many, then counts the rest', () => {
      const text = listWithin(items, 10, 1_000);
      expect(text).toBe(`${items.slice(0, 10).join('; ')}; and 5 more`);
      expect(listWithin(items.slice(0, 3), 10, 1_000)).toBe(items.slice(0, 3).join('; '));
      expect(listWithin([], 10, 1_000)).toBe('');
    });

    it('lists fewer when they would not fit, the count included', () => {
      const long = Array.from({ length: 15 }, (_, i) => `index i${i}: ${'x'.repeat(200)}`);
      const text = listWithin(long, 10, 1_000);
      expect(text.length).toBeLessThanOrEqual(1_000);
      expect(text).toBe(`${long.slice(0, 4).join('; ')}; and 11 more`);
      expect(listWithin(long, 10, 100)).toBe('15 too long to list');
    });
  });

  describe('quoteName', () => {
    it('quotes each part of a name', () => {
      expect(quoteName('orders')).toBe('"orders"');
      expect(quoteName('sales.orders')).toBe('"sales"."orders"');
      expect(quoteName('Sales.Orders')).toBe('"Sales"."Orders"');
    });

    it('doubles double quotes, so a name cannot close its quotes', () => {
      expect(quoteName('we"ird')).toBe('"we""ird"');
      expect(quoteName('x"; drop table t; --')).toBe('"x""; drop table t; --"');
      expect(quoteName('s.a"b')).toBe('"s"."a""b"');
    });
  });
}
