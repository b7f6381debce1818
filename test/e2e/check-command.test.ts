import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl } from '#cli/database-url.ts';
import { openSession } from '#cli/pg-session.ts';
import type { CheckReport } from '#core/report.ts';
import { type PasswordProxy, passwordProxy } from './password-proxy.ts';
import {
  type CliRun,
  closedPort,
  redact,
  runCli,
  type ScratchDatabase,
  scratchDatabase,
  serverUrl,
  urlOf,
  VARIABLE,
} from './pg-server.ts';

/** A small shop: orders with a fresh timestamp, customers, a table outside the search path. */
const shopSql = `
  create extension amcheck;
  create table orders (
    id bigint generated always as identity primary key,
    total numeric(10, 2) not null,
    created_at timestamptz not null
  );
  create index orders_created_at_idx on orders (created_at);
  insert into orders (total, created_at)
    select g, now() - g * interval '1 minute' from generate_series(1, 2000) g;
  create table customers (id int primary key, email text not null);
  insert into customers select g, 'c' || g || '@example.com' from generate_series(1, 300) g;`;

const work = mkdtempSync(join(tmpdir(), 'restore-drill-check-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A configuration file of the given targets' checks; every target needs a source to be valid. */
function configFile(name: string, targets: { name: string; checks?: unknown }[]): string {
  const file = join(work, `${name}.json`);
  const full = targets.map((t) => ({
    engine: 'postgres',
    source: { instance: 'shop-prod' },
    ...t,
  }));
  writeFileSync(file, JSON.stringify({ targets: full }));
  return file;
}

const shopChecks = (minRows: number) => ({
  tables: {
    orders: { minRows, freshness: { column: 'created_at', maxAgeMinutes: 60 } },
    customers: { minRows: 300 },
  },
  sql: [
    {
      name: 'no negative totals',
      query: 'select count(*) from orders where total < 0',
      expect: { equals: 0 },
    },
  ],
});

const json = (run: CliRun) => JSON.parse(run.stdout) as CheckReport;

/** A password that must never be seen on stdout or stderr. */
const secret = () => `pw-${randomBytes(6).toString('hex')}`;

function expectNowhere(run: CliRun, ...secrets: string[]) {
  for (const s of secrets) {
    expect(run.stdout).not.toContain(s);
    expect(run.stderr).not.toContain(s);
  }
}

if (serverUrl) {
  const base = serverUrl;
  describe(`restore-drill check against the PostgreSQL server at ${redact(base)}`, () => {
    let shop: ScratchDatabase;
    let bare: ScratchDatabase;

    beforeAll(async () => {
      shop = await scratchDatabase(base, 'restore_drill_check');
      bare = await scratchDatabase(base, 'restore_drill_check_bare');
      await shop.sql(shopSql);
      await bare.sql('create table notes (id int primary key, body text)');
    });
    afterAll(async () => {
      await shop?.drop();
      await bare?.drop();
    });

    it('passes a healthy database: connectivity and integrity, the report on stdout, progress on stderr', async () => {
      const run = await runCli(['check', '--url', shop.url]);
      expect(run.stderr).toMatch(
        /^Check of \S+ at \S+\n {2}Connect \.\.\.\n {2}Connect done in .+\(PostgreSQL \d+/,
      );
      expect(run.stderr).toContain('  Verify done in ');
      expect(run.status).toBe(0);
      const { hostname, port } = new URL(shop.url);
      const name = `${hostname}${port && port !== '5432' ? `:${port}` : ''}/${shop.name}`;
      expect(run.stdout.split('\n')[0]).toBe(`PASS ${name}: 4 checks passed`);
      expect(run.stdout).toMatch(/PASS {2}integrity .+ 3 B-tree indexes on 2 tables verified/);
      expect(run.stdout).toContain(`Checked         postgres database "${shop.name}" at `);
      expect(run.stdout).not.toMatch(/Snapshot|Restored|Teardown/);
    });

    it('says a baseline is not run by check, never leaving it out silently', async () => {
      const checks = { integrity: false, baseline: {} };
      const config = configFile('shop-baseline', [{ name: 'shop', checks }]);
      const run = await runCli(['check', '--url', shop.url, '--config', config, '--json']);
      expect(run.status).toBe(0);
      expect(json(run).checks.at(-1)).toMatchObject({
        name: 'baseline',
        status: 'SKIP',
        message: expect.stringMatching(/^not run by check: /),
      });
    });

    it("runs a configured target's checks, with --json exactly one report on stdout", async () => {
      const config = configFile('shop', [{ name: 'shop', checks: shopChecks(1000) }]);
      const run = await runCli(['check', '--url', shop.url, '--config', config, '--json']);
      expect(run.status).toBe(0);
      const report = json(run);
      expect(report).toMatchObject({
        kind: 'check',
        status: 'PASS',
        target: 'shop',
        engine: 'postgres',
        database: shop.name,
        tls: 'none',
      });
      expect(report.checks.map((c) => [c.name, c.status])).toEqual([
        ['connectivity', 'PASS'],
        ['integrity', 'PASS'],
        ['heap', 'PASS'],
        ['read-all', 'PASS'],
        ['rows:orders', 'PASS'],
        ['freshness:orders.created_at', 'PASS'],
        ['rows:customers', 'PASS'],
        ['sql:no negative totals', 'PASS'],
      ]);
      // Measured against now: the newest order is about a minute old.
      expect(report.dataFreshness?.lagMs).toBeGreaterThan(30_000);
      expect(report.dataFreshness?.lagMs).toBeLessThan(10 * 60_000);
      expect(report.timings.phases.verify).toBeGreaterThan(0);
      expect(run.stderr).toContain('Check of shop at ');
    });

    it('fails, exit 1, when the data is not what the configuration expects', async () => {
      const config = configFile('too-many', [{ name: 'shop', checks: shopChecks(1_000_000) }]);
      const run = await runCli(['check', '--url', shop.url, '--config', config]);
      expect(run.status).toBe(1);
      expect(run.stdout.split('\n')[0]).toBe('FAIL shop: rows:orders failed');
      expect(run.stdout).toContain(
        'FAIL rows:orders: 2000 rows in orders, at least 1000000 expected',
      );
    });

    it('is an ERROR, exit 3, with the reason, when nothing listens on the port', async () => {
      const password = secret();
      const port = await closedPort();
      const url = `postgres://postgres:${password}@127.0.0.1:${port}/shop`;
      const text = await runCli(['check', '--url', url]);
      expect(text.status).toBe(3);
      expect(text.stdout.split('\n')[0]).toBe(
        `ERROR 127.0.0.1:${port}/shop: connectivity could not run`,
      );
      expect(text.stdout).toContain(`ERROR connectivity: connect ECONNREFUSED 127.0.0.1:${port}`);
      expect(text.stderr).toContain(`  Connect failed: connect ECONNREFUSED 127.0.0.1:${port}`);
      expect(text.ms).toBeLessThan(5000);
      const asJson = await runCli(['check', '--url', url, '--json']);
      expect(asJson.status).toBe(3);
      expect(json(asJson)).toMatchObject({
        status: 'ERROR',
        checks: [{ name: 'connectivity', status: 'ERROR' }],
      });
      expectNowhere(text, password);
      expectNowhere(asJson, password);
    });

    it('prints the password nowhere, whether from the URL or PGPASSWORD', async () => {
      const inUrl = secret();
      const inEnv = secret();
      const config = configFile('secret', [{ name: 'shop', checks: shopChecks(1000) }]);
      for (const [url, env] of [
        [urlOf(shop.url, shop.name, { password: inUrl }), {}],
        [shop.url, { PGPASSWORD: inEnv }],
      ] as const) {
        for (const extra of [[], ['--json'], ['--config', config]]) {
          const run = await runCli(['check', '--url', url, ...extra], env);
          expect(run.status).toBe(0);
          expectNowhere(run, inUrl, inEnv);
        }
      }
    });

    it('only reads: without amcheck the index and heap checks are SKIP, and amcheck is still not there', async () => {
      const run = await runCli(['check', '--url', bare.url, '--json']);
      expect(run.status).toBe(0);
      const report = json(run);
      expect(report.summary).toMatch(/: 2 checks passed, integrity, heap skipped$/);
      expect(report.checks.map((c) => [c.name, c.status])).toEqual([
        ['connectivity', 'PASS'],
        ['integrity', 'SKIP'],
        ['heap', 'SKIP'],
        ['read-all', 'PASS'],
      ]);
      expect(report.checks[1]?.message).toContain('the amcheck extension is not installed');
      expect(await bare.sql("select 1 from pg_extension where extname = 'amcheck'")).toEqual([]);
    });

    it("runs every check of a target, amcheck's too, in a read-only database (nothing it runs writes)", async () => {
      const readOnly = await scratchDatabase(base, 'restore_drill_check_ro');
      try {
        await readOnly.sql(shopSql);
        await readOnly.sql(
          `alter database ${readOnly.name} set default_transaction_read_only = on`,
        );
        const config = configFile('read-only', [{ name: 'shop', checks: shopChecks(1000) }]);
        const run = await runCli(['check', '--url', readOnly.url, '--config', config, '--json']);
        const report = json(run);
        expect(report.checks.map((c) => [c.name, c.status])).toEqual([
          ['connectivity', 'PASS'],
          ['integrity', 'PASS'],
          ['heap', 'PASS'],
          ['read-all', 'PASS'],
          ['rows:orders', 'PASS'],
          ['freshness:orders.created_at', 'PASS'],
          ['rows:customers', 'PASS'],
          ['sql:no negative totals', 'PASS'],
        ]);
        expect(run.status).toBe(0);
      } finally {
        await readOnly.drop();
      }
    });

    it('honours sslmode: require fails on a server without TLS, prefer falls back to none', async () => {
      const [setting] = await shop.sql<{ ssl: string }>('show ssl');
      const required = await runCli(['check', '--url', `${shop.url}?sslmode=require`, '--json']);
      const preferred = await runCli(['check', '--url', `${shop.url}?sslmode=prefer`, '--json']);
      const disabled = await runCli(['check', '--url', `${shop.url}?sslmode=disable`, '--json']);
      expect(json(disabled)).toMatchObject({ status: 'PASS', tls: 'none' });
      if (setting?.ssl === 'on') {
        expect(json(required)).toMatchObject({ status: 'PASS', tls: 'require' });
        expect(json(preferred)).toMatchObject({ status: 'PASS', tls: 'require' });
      } else {
        expect(required.status).toBe(3);
        expect(json(required).checks[0]?.message).toBe(
          'The server does not support SSL connections (sslmode=require)',
        );
        expect(json(preferred)).toMatchObject({ status: 'PASS', tls: 'none' });
      }
    });

    it('asks which target when the configuration has several, naming them (exit 2)', async () => {
      const config = configFile('two', [{ name: 'shop' }, { name: 'ledger' }]);
      const run = await runCli(['check', '--url', shop.url, '--config', config]);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('has 2 targets: choose one with --target (shop, ledger)');
      const chosen = await runCli([
        'check',
        '--url',
        shop.url,
        '--config',
        config,
        '--target',
        'ledger',
      ]);
      expect(chosen.status).toBe(0);
      expect(chosen.stdout).toMatch(/^PASS ledger: 4 checks passed/);
    });

    describe('against a server that asks for a password', () => {
      let proxy: PasswordProxy;
      const password = secret();
      const upstream = new URL(base);
      beforeAll(async () => {
        proxy = await passwordProxy(
          { host: upstream.hostname, port: Number(upstream.port || 5432) },
          password,
        );
      });
      afterAll(() => proxy?.close());
      const proxied = (credentials?: { password?: string }) => {
        const url = new URL(urlOf(shop.url, shop.name, credentials));
        url.hostname = '127.0.0.1';
        url.port = String(proxy.port);
        return url.toString();
      };

      it('connects with PGPASSWORD, for the checks as well, and prints it nowhere', async () => {
        const before = proxy.passwords.length;
        const run = await runCli(['check', '--url', proxied(), '--json'], { PGPASSWORD: password });
        expect(json(run).status).toBe('PASS');
        expect(run.status).toBe(0);
        // The session that reads what it may do, then the verifier's two (check's default).
        expect(proxy.passwords.slice(before)).toEqual([password, password, password]);
        expectNowhere(run, password);
      });

      it("is an ERROR with the server's reason for a wrong password, which it prints nowhere", async () => {
        const wrong = secret();
        const run = await runCli(['check', '--url', proxied({ password: wrong })]);
        expect(run.status).toBe(3);
        expect(run.stdout).toContain('ERROR connectivity: password authentication failed');
        expectNowhere(run, wrong, password);
      });

      it('says where to give the password when there is no terminal to ask on (exit 3)', async () => {
        const run = await runCli(['check', '--url', proxied()]);
        expect(run.status).toBe(3);
        expect(run.stdout).toContain(
          `ERROR connectivity: the server asks for a password for postgres@127.0.0.1:${proxy.port}/${shop.name}: give it in the URL or in PGPASSWORD (there is no terminal to ask on)`,
        );
      });

      it('asks on the terminal only when the server wants a password, and once', async () => {
        const questions: string[] = [];
        const prompt = async (question: string) => {
          questions.push(question);
          return password;
        };
        const asked = await openSession(parseDatabaseUrl(proxied()), {
          database: shop.name,
          user: 'postgres',
          prompt,
        });
        await asked.client.end();
        expect(questions).toEqual([`Password for postgres@127.0.0.1:${proxy.port}/${shop.name}: `]);
        expect(asked.connection.password).toBe(password);

        // A server that trusts this connection is never asked about one.
        const trusted = await openSession(parseDatabaseUrl(shop.url), {
          database: shop.name,
          user: new URL(shop.url).username || 'postgres',
          prompt,
        });
        await trusted.client.end();
        expect(questions).toHaveLength(1);
        expect(trusted.connection).not.toHaveProperty('password');
      });
    });
  });
} else {
  const notRun = `check against a PostgreSQL server did not run: set ${VARIABLE} to run it`;
  console.warn(`${notRun} (e.g. ${VARIABLE}=postgres://postgres@127.0.0.1:5432/postgres)`);
  describe.skip(notRun, () => {
    it('runs restore-drill check against a real PostgreSQL server', () => undefined);
  });
}
