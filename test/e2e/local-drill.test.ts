import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillReport } from '#core/report.ts';
import {
  cli,
  corruptIndexSql,
  expectNothingLeft,
  makeSource,
  ordersSql,
  scratch,
  writeConfig,
} from './sources.ts';

let work: Awaited<ReturnType<typeof scratch>>;
let stateDir: string;

beforeAll(async () => {
  work = await scratch();
  stateDir = join(work.dir, 'state');
});
afterAll(() => work.remove());

const target = (dataDir: string, checks: object) => ({
  targets: [{ name: 'orders', engine: 'postgres', source: { dataDir }, checks }],
});

const ordersChecks = {
  integrity: true,
  tables: { orders: { minRows: 1000, freshness: { column: 'created_at', maxAgeMinutes: 60 } } },
  sql: [
    {
      name: 'no negative totals',
      query: 'select count(*) from orders where total_cents < 0',
      expect: { equals: 0 },
    },
  ],
};

/** Drills a new source made by `sql` with the orders checks, returning the JSON report. */
async function drillJson(name: string, sql: string) {
  const source = await makeSource(join(work.dir, name), sql);
  const config = await writeConfig(join(work.dir, `${name}.json`), target(source, ordersChecks));
  const { code, stdout, stderr } = await cli(
    'run',
    '--local',
    '--config',
    config,
    '--state-dir',
    stateDir,
    '--json',
  );
  return { code, stderr, report: JSON.parse(stdout) as DrillReport };
}

describe('a local drill on PGlite', () => {
  it('passes a healthy source, printing one JSON report and leaving nothing behind', async () => {
    const { code, report, stderr } = await drillJson('healthy', ordersSql());
    expect(code).toBe(0);
    expect(report.status).toBe('PASS');
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['connectivity', 'PASS'],
      ['integrity', 'PASS'],
      ['heap', 'PASS'],
      ['read-all', 'PASS'],
      ['rows:orders', 'PASS'],
      ['freshness:orders.created_at', 'PASS'],
      ['sql:no negative totals', 'PASS'],
    ]);
    expect(report.teardown.status).toBe('DONE');
    expect(report.timings.restoreMs).toBeGreaterThan(0);
    expect(report.dataFreshness?.lagMs).toBeGreaterThanOrEqual(0);
    expect(stderr).toMatch(/Verify done in/);
    await expectNothingLeft(stateDir);
  });

  it('fails a source with a corrupt index, naming the index and its table', async () => {
    const source = await makeSource(join(work.dir, 'corrupt'), corruptIndexSql);
    const { code, stdout } = await cli(
      'run',
      '--local',
      '--source-dir',
      source,
      '--state-dir',
      stateDir,
    );
    expect(code).toBe(1);
    const [verdict] = stdout.split('\n');
    expect(verdict).toBe('FAIL local: integrity failed');
    expect(stdout).toMatch(/index public\.orders_shipping_band_idx on public\.orders/);
    await expectNothingLeft(stateDir);
  });

  it('proposes checks from the restored copy with --suggest, after the report or in its JSON', async () => {
    const source = await makeSource(join(work.dir, 'suggest'), ordersSql());
    const run = (...flags: string[]) =>
      cli('run', '--local', '--source-dir', source, '--state-dir', stateDir, '--suggest', ...flags);
    const json = await run('--json');
    expect(json.code).toBe(0);
    const { suggestion } = JSON.parse(json.stdout) as DrillReport;
    const orders = (suggestion?.checks?.tables as Record<string, Record<string, unknown>>)?.orders;
    expect(suggestion?.checks?.integrity).toBe(true);
    expect(orders).toMatchObject({
      minRows: expect.any(Number),
      freshness: { column: 'created_at', maxAgeMinutes: expect.any(Number) },
    });

    const text = await run();
    expect(text.code).toBe(0);
    const [, proposed] = text.stdout.split(/\n(?=\{)/);
    expect(JSON.parse(proposed ?? '')).toEqual(suggestion?.checks);
    expect(text.stderr).toContain('Checks proposed from the restored copy of local');
    await expectNothingLeft(stateDir);
  }, 60_000);

  it('compares each drill with the last copy that passed, and fails one missing a table', async () => {
    const source = await makeSource(
      join(work.dir, 'baseline'),
      `${ordersSql()}
       create table customers (id int primary key);
       insert into customers select g from generate_series(1, 500) g;
       analyze;`,
    );
    const checks = { integrity: false, baseline: { minRows: 100 } };
    const config = await writeConfig(join(work.dir, 'baseline.json'), target(source, checks));
    const drill = async () => {
      const argv = ['run', '--local', '--config', config, '--state-dir', stateDir, '--json'];
      const { code, stdout } = await cli(...argv);
      const report = JSON.parse(stdout) as DrillReport;
      return { code, report, baseline: report.checks.find((c) => c.name === 'baseline') };
    };

    const first = await drill();
    expect(first.code).toBe(0);
    expect(first.baseline).toMatchObject({ status: 'SKIP', message: /^no baseline yet/ });

    const second = await drill();
    expect(second.code).toBe(0);
    expect(second.baseline).toMatchObject({
      status: 'PASS',
      message: expect.stringMatching(
        /^all 2 tables of the baseline from the copy of drill-orders-/,
      ),
    });

    // The source loses a table and most of its orders; the drills never open it, the test does.
    const db = new PGlite(source);
    await db.exec('drop table customers; delete from orders where id > 100');
    await db.exec('vacuum analyze orders');
    await db.close();

    const third = await drill();
    expect(third.code).toBe(1);
    expect(third.report.summary).toBe('FAIL orders: baseline failed');
    expect(third.baseline?.status).toBe('FAIL');
    expect(third.baseline?.message).toMatch(
      /^1 of 2 tables missing: public\.customers; 1 table more than 50% below its count: public\.orders has ~100 rows against ~2,000 rows \(against the baseline from the copy of drill-orders-/,
    );
    await expectNothingLeft(stateDir);
  });

  it('fails freshness when the newest data is older than the bound', async () => {
    const { code, report } = await drillJson('stale', ordersSql(72));
    expect(code).toBe(1);
    expect(report.checks.find((c) => c.name === 'freshness:orders.created_at')?.status).toBe(
      'FAIL',
    );
    expect(report.dataFreshness?.lagMs).toBeGreaterThan(72 * 3_600_000);
    await expectNothingLeft(stateDir);
  });

  it('is an ERROR (exit 3) when the source does not exist', async () => {
    const { code, stdout } = await cli(
      'run',
      '--local',
      '--source-dir',
      join(work.dir, 'missing'),
      '--state-dir',
      stateDir,
    );
    expect(code).toBe(3);
    expect(stdout).toMatch(
      /^ERROR local: TakeSnapshot failed: source .* is not a PGlite data directory/,
    );
    await expectNothingLeft(stateDir);
  });
});

describe('the CLI with bad input', () => {
  it('exits 2 naming each bad field of an invalid config, without a stack trace', async () => {
    const config = await writeConfig(join(work.dir, 'bad.json'), {
      targets: [
        {
          name: 'Orders!',
          engine: 'postgres',
          source: {},
          checks: { sql: [{ name: 'x', query: 'select 1', expect: {} }] },
        },
      ],
    });
    const { code, stdout, stderr } = await cli(
      'run',
      '--local',
      '--config',
      config,
      '--state-dir',
      stateDir,
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('targets[0].name');
    expect(stderr).toContain('targets[0].source: must be one of {"dataDir"');
    expect(stderr).toContain('targets[0].checks.sql[0].expect');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [['run', '--local', '--config', '/no/such/file.json'], /cannot read config file/],
    [['run', '--local', '--bogus'], /Unknown option '--bogus'/],
    [['run'], /run needs --config FILE naming Amazon RDS targets, or --local/],
    [['drill', '--local'], /unknown command "drill"/],
    [['run', '--local', '--config', ''], /--config needs a value/],
    [['run', '--local', '--source-dir', ''], /--source-dir needs a value/],
    [['run', '--local', '--state-dir', 'package.json'], /is not a directory/],
  ])('exits 2 for %j', async (argv, message) => {
    const { code, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('exits 2 when a target does not suit the backend the run uses, naming it', async () => {
    const rdsTarget = { name: 'orders', engine: 'postgres', source: { instance: 'orders-prod' } };
    const config = await writeConfig(join(work.dir, 'mixed.json'), {
      targets: [
        rdsTarget,
        { name: 'aurora', engine: 'aurora-postgresql', source: { cluster: 'orders-aurora' } },
        { ...rdsTarget, name: 'pitr', recoveryPoint: { mode: 'point-in-time', at: 'latest' } },
        { name: 'local', engine: 'postgres', source: { dataDir: './x' } },
      ],
    });
    const run = (...argv: string[]) => cli('run', '--config', config, ...argv);

    expect((await cli('run', '--local', '--config', config)).stderr).toMatch(
      /target orders has an Amazon RDS source .*run it without --local/,
    );
    expect((await run('--target', 'local')).stderr).toMatch(/drill it with --local/);
    const kept = await run('--target', 'orders', '--keep');
    expect(kept.code).toBe(2);
    expect(kept.stderr).toMatch(/--keep is for local runs only/);
  });

  it('exits 2 for a config file that is not JSON', async () => {
    const path = join(work.dir, 'broken.json');
    await (await import('node:fs/promises')).writeFile(path, '{ "targets": [');
    const { code, stderr } = await cli('run', '--local', '--config', path);
    expect(code).toBe(2);
    expect(stderr).toContain('is not valid JSON');
  });
});
