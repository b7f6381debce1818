import { describe, expect, it } from 'vitest';
import { checkReport, renderText } from '#core/report.ts';
import type { CheckResult } from '#core/state.ts';

const at = (s: number) => new Date(Date.parse('2026-12-01T09:00:00.000Z') + s * 1000);

const result = (name: string, status: CheckResult['status'], message = 'ok'): CheckResult => ({
  name,
  status,
  message,
  ms: 4,
});

function reportOf(checks: CheckResult[]) {
  return checkReport({
    target: 'shop',
    engine: 'postgres',
    database: 'shop',
    endpoint: 'db.example.com:5432',
    tls: 'verify-full',
    startedAt: at(0),
    verification: { startedAt: at(1), finishedAt: at(3), checks },
    finishedAt: at(3.5),
  });
}

describe('checkReport', () => {
  it('passes when every check passes, and names what was skipped', () => {
    const report = reportOf([
      result('connectivity', 'PASS'),
      result('integrity', 'SKIP', 'not run: amcheck is not installed'),
      result('rows:orders', 'PASS'),
    ]);
    expect(report).toMatchObject({
      kind: 'check',
      status: 'PASS',
      summary: 'PASS shop: 2 checks passed, integrity skipped',
      target: 'shop',
      engine: 'postgres',
      database: 'shop',
      endpoint: 'db.example.com:5432',
      tls: 'verify-full',
      startedAt: '2026-12-01T09:00:00.000Z',
      finishedAt: '2026-12-01T09:00:03.500Z',
      timings: { phases: { verify: 2000 }, totalMs: 3500 },
      dataFreshness: null,
    });
    for (const drillOnly of ['restoredFrom', 'copy', 'teardown', 'drillId', 'recoveryPoint']) {
      expect(report).not.toHaveProperty(drillOnly);
    }
  });

  it('fails on a failed check, and is an ERROR when one could not run', () => {
    expect(reportOf([result('connectivity', 'PASS'), result('rows:orders', 'FAIL')])).toMatchObject(
      { status: 'FAIL', summary: 'FAIL shop: rows:orders failed' },
    );
    expect(reportOf([result('connectivity', 'ERROR', 'connect ECONNREFUSED')])).toMatchObject({
      status: 'ERROR',
      summary: 'ERROR shop: connectivity could not run',
    });
    expect(reportOf([]).status).toBe('ERROR');
  });

  it('measures the data against the moment of the check', () => {
    const fresh: CheckResult = {
      ...result('freshness:orders.created_at', 'PASS'),
      metrics: { newestAt: '2026-12-01T08:59:00.000Z', lagMs: 61_000 },
    };
    expect(reportOf([result('connectivity', 'PASS'), fresh]).dataFreshness).toEqual({
      newestDataAt: '2026-12-01T08:59:00.000Z',
      lagMs: 61_000,
    });
  });
});

describe('renderText of a check', () => {
  it('shows the verdict, the checks, the verify time and what was checked, and no drill phases', () => {
    const text = renderText(
      reportOf([
        result('connectivity', 'PASS', 'PostgreSQL 15.20'),
        result('rows:orders', 'FAIL', '10 rows in orders, at least 100 expected'),
      ]),
    );
    expect(text.split('\n')).toEqual([
      'FAIL shop: rows:orders failed',
      '',
      'FAIL rows:orders: 10 rows in orders, at least 100 expected',
      '',
      'Checks',
      '  PASS  connectivity     4 ms  PostgreSQL 15.20',
      '  FAIL  rows:orders      4 ms  10 rows in orders, at least 100 expected',
      '',
      'Timings',
      '  verify            2.0 s',
      '  total             3.5 s',
      '',
      'Checked         postgres database "shop" at db.example.com:5432 (TLS verify-full), started 2026-12-01T09:00:00.000Z',
    ]);
  });
});
