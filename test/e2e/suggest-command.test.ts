import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suggestChecks } from '#adapters/postgres/suggest.ts';
import {
  closedPort,
  redact,
  runCli,
  type ScratchDatabase,
  scratchDatabase,
  serverUrl,
  VARIABLE,
} from './pg-server.ts';
import { checkSuggested, suggestAt, whereToPut } from './suggested.ts';

/**
 * Tables of every kind suggest meets: the largest with a fresh updated_at beside created_at,
 * one with only dates (a birth date it must not take for freshness), one outside the search
 * path, a partitioned one, an empty one, and names a configuration cannot hold.
 */
const shopSql = `
  create extension amcheck;
  create table orders (
    id bigint generated always as identity primary key,
    total numeric(10, 2) not null,
    created_at timestamptz not null,
    updated_at timestamp
  ) with (autovacuum_enabled = false);
  insert into orders (total, created_at, updated_at)
    select g, now() - interval '3 days' - g * interval '1 minute',
           (now() - g * interval '1 minute')::timestamp
      from generate_series(1, 2000) g;
  -- A bogus date far in the future: ignored, as the freshness check ignores it.
  insert into orders (total, created_at, updated_at) values (1, now() - interval '4 days', '2999-01-01');
  create table customers (id int primary key, born date not null, signed_up_on date);
  insert into customers
    select g, date '1960-01-01' + g, current_date - 2 - g from generate_series(1, 300) g;
  create schema sales;
  create table sales.refunds (id int primary key, amount numeric, refunded_at timestamptz);
  insert into sales.refunds select g, g, now() - interval '2 hours' from generate_series(1, 50) g;
  create table events (id bigint, at timestamptz not null) partition by range (at);
  create table events_old partition of events for values from ('2000-01-01') to ('2025-01-01');
  create table events_new partition of events for values from ('2025-01-01') to ('3000-01-01');
  insert into events select g, now() - g * interval '1 day' from generate_series(1, 40) g;
  create table audit_log (entry text);
  create table "Odd Name" (id int);
  create table notes (id int, "body text" text, written_at timestamptz);
  insert into notes values (1, 'x', now());
  analyze;`;

const work = mkdtempSync(join(tmpdir(), 'restore-drill-suggest-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('restore-drill suggest where nothing listens', () => {
  it.each(['postgres', 'mysql'])(
    'says in one line why it cannot connect to a %s:// URL (exit 3), and prints the password nowhere',
    async (scheme) => {
      const password = `pw-${randomBytes(6).toString('hex')}`;
      const port = await closedPort();

      const run = await runCli([
        'suggest',
        '--url',
        `${scheme}://app:${password}@127.0.0.1:${port}/shop`,
      ]);

      expect(run.status).toBe(3);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `restore-drill: cannot connect to app@127.0.0.1:${port}/shop: connect ECONNREFUSED 127.0.0.1:${port}\n`,
      );
    },
  );
});

if (serverUrl) {
  const base = serverUrl;
  describe(`restore-drill suggest against the PostgreSQL server at ${redact(base)}`, () => {
    let shop: ScratchDatabase;

    beforeAll(async () => {
      shop = await scratchDatabase(base, 'restore_drill_suggest');
      await shop.sql(shopSql);
    });
    afterAll(() => shop?.drop());

    const suggest = (...extra: string[]) => suggestAt(shop.url, extra);

    it('prints the checks of the largest tables as JSON, and where to put them on stderr', async () => {
      const { checks, stderr } = await suggest();
      expect(checks.integrity).toBe(true);
      expect(Object.keys(checks.tables)).toEqual([
        'orders',
        'customers',
        'sales.refunds',
        'notes',
        'events',
        'audit_log',
      ]);
      expect(checks.tables.orders).toEqual({
        minRows: 1800,
        // The newest of created_at and updated_at, the bogus 2999 date left out.
        freshness: { column: 'updated_at', maxAgeMinutes: 1440 },
        columns: {
          id: 'bigint',
          total: 'numeric(10,2)',
          created_at: 'timestamp with time zone',
          updated_at: 'timestamp without time zone',
        },
      });
      // A birth date says nothing about the latest write: the date named like an event does.
      expect(checks.tables.customers.freshness.column).toBe('signed_up_on');
      expect(checks.tables.customers.freshness.maxAgeMinutes).toBeGreaterThanOrEqual(6 * 1440);
      expect(checks.tables.customers.minRows).toBe(270);
      expect(checks.tables['sales.refunds']).toMatchObject({
        minRows: 45,
        freshness: { column: 'refunded_at', maxAgeMinutes: 1440 },
      });
      // A partitioned table is counted across its partitions, which are not listed themselves.
      expect(checks.tables.events).toMatchObject({ minRows: 36, freshness: { column: 'at' } });
      expect(checks.tables.audit_log).toEqual({ minRows: 0, columns: { entry: 'text' } });
      expect(checks.tables.notes.columns).toEqual({
        id: 'integer',
        written_at: 'timestamp with time zone',
      });

      const lines = stderr.trimEnd().split('\n');
      expect(lines).toContain(
        '  public."Odd Name": left out, its name cannot be written in a configuration',
      );
      expect(lines).toContain(
        '  notes: column "body text" left out, its name cannot be written in a configuration',
      );
      expect(lines.at(-1)).toBe(whereToPut(6, shop.name));
    });

    it('takes --fraction for minRows', async () => {
      const { checks } = await suggest('--fraction', '0.5');
      expect(checks.tables.orders.minRows).toBe(1000);
      expect(checks.tables.customers.minRows).toBe(150);
    });

    it('prints checks the configuration accepts, and that check then passes', async () => {
      const { checks } = await suggest();
      const { config, run, report } = await checkSuggested(checks, {
        url: shop.url,
        engine: 'postgres',
        database: shop.name,
        file: join(work, 'suggested.json'),
      });
      expect(config.targets[0]?.checks.tables.orders?.minRows).toBe(1800);
      expect(report.status).toBe('PASS');
      expect(run.status).toBe(0);
      expect(report.checks.map((c) => c.name)).toEqual(
        expect.arrayContaining([
          'integrity',
          'rows:orders',
          'freshness:orders.updated_at',
          'rows:events',
          'freshness:customers.signed_up_on',
        ]),
      );
    });

    it("counts a large table by the planner's estimate, a small one exactly", async () => {
      // The estimate says 2001 rows (as of analyze), the table now has 2501.
      await shop.sql(
        'insert into orders (total, created_at) select g, now() from generate_series(1, 500) g',
      );
      const client = new pg.Client({ connectionString: shop.url });
      await client.connect();
      try {
        const estimated = await suggestChecks(client, { fraction: 1, exactCountBelow: 1000 });
        const exact = await suggestChecks(client, { fraction: 1 });
        expect(estimated.checks.tables.orders?.minRows).toBe(2001);
        expect(estimated.checks.tables.customers?.minRows).toBe(300);
        expect(exact.checks.tables.orders?.minRows).toBe(2501);
        // One read-only transaction, rolled back: the session is left as it was.
        const { rows } = await client.query('select current_setting($1) as t', [
          'statement_timeout',
        ]);
        expect(rows[0].t).toBe('0');
      } finally {
        await client.query(
          'delete from orders where updated_at is null and total <= 500 and id > 2001',
        );
        await client.end();
      }
    });

    it('reads a read-only database just the same', async () => {
      const readOnly = await scratchDatabase(base, 'restore_drill_suggest_ro');
      try {
        await readOnly.sql(shopSql);
        await readOnly.sql(
          `alter database ${readOnly.name} set default_transaction_read_only = on`,
        );
        const run = await runCli(['suggest', '--url', readOnly.url]);
        expect(run.status).toBe(0);
        expect(Object.keys(JSON.parse(run.stdout).tables)).toHaveLength(6);
      } finally {
        await readOnly.drop();
      }
    });
  });
} else {
  const notRun = `suggest against a PostgreSQL server did not run: set ${VARIABLE} to run it`;
  console.warn(`${notRun} (e.g. ${VARIABLE}=postgres://postgres@127.0.0.1:5432/postgres)`);
  describe.skip(notRun, () => {
    it('runs restore-drill suggest against a real PostgreSQL server', () => undefined);
  });
}
