import { describe, expect, it } from 'vitest';
import { type Baseline, compareWithBaseline } from '#core/baseline.ts';

const options = { tolerancePercent: 50, minRows: 1000 };
const baseline: Baseline = {
  from: 'source',
  takenAt: '2026-11-23T03:00:01.000Z',
  drillId: 'drill-orders-20261123t0300-ab12',
  tables: {
    'public.orders': 120_000,
    'public.items': 480_000,
    'public.settings': 12,
    'public.audit': null,
  },
};

describe('compareWithBaseline', () => {
  it('passes a copy with every table, each large one within the tolerance', () => {
    const judged = compareWithBaseline(
      baseline,
      {
        'public.orders': 119_500,
        'public.items': 250_000,
        'public.settings': 0,
        'public.audit': 7,
        'public.new_table': 3,
      },
      options,
    );
    expect(judged).toEqual({
      status: 'PASS',
      message:
        'all 4 tables of the baseline from the source at 2026-11-23T03:00:01.000Z are here; 2 with at least 1000 rows within 50% of their counts',
      metrics: { tables: 4, compared: 2, missing: 0, short: 0 },
    });
  });

  it('fails naming each missing table, whatever its size', () => {
    const judged = compareWithBaseline(
      baseline,
      { 'public.orders': 120_000, 'public.items': 480_000 },
      options,
    );
    expect(judged.status).toBe('FAIL');
    expect(judged.message).toBe(
      '2 of 4 tables missing: public.audit, public.settings (against the baseline from the source at 2026-11-23T03:00:01.000Z)',
    );
    expect(judged.metrics).toMatchObject({ missing: 2, short: 0 });
  });

  it('fails naming a table counted further below the baseline than the tolerance allows', () => {
    const judged = compareWithBaseline(
      { ...baseline, from: 'copy', drillId: 'drill-orders-20261122t0300-cd34' },
      { 'public.orders': 59_000, 'public.items': 480_000, 'public.settings': 1, 'public.audit': 0 },
      options,
    );
    expect(judged.status).toBe('FAIL');
    expect(judged.message).toBe(
      '1 table more than 50% below its count: public.orders has ~59,000 rows against ~120,000 rows (against the baseline from the copy of drill-orders-20261122t0300-cd34 at 2026-11-23T03:00:01.000Z)',
    );
  });

  it('compares by presence only where either side has no estimate', () => {
    const judged = compareWithBaseline(
      baseline,
      { 'public.orders': null, 'public.items': 480_000, 'public.settings': 1, 'public.audit': 0 },
      { tolerancePercent: 0, minRows: 0 },
    );
    // settings 12 -> 1 is below with no tolerance; orders and audit have no number to compare.
    expect(judged.status).toBe('FAIL');
    expect(judged.metrics).toMatchObject({ compared: 2, short: 1 });
    expect(judged.message).toContain('public.settings has ~1 row against ~12 rows');
  });

  it('skips, never passes, a baseline that lists no tables', () => {
    const judged = compareWithBaseline(
      { ...baseline, tables: {} },
      { 'public.orders': 5 },
      options,
    );
    expect(judged).toMatchObject({ status: 'SKIP', message: /lists no tables/ });
  });

  it('names the first ten tables and counts the rest', () => {
    const tables = Object.fromEntries(
      Array.from({ length: 25 }, (_, i) => [`t${String(i).padStart(2, '0')}`, 5]),
    );
    const judged = compareWithBaseline({ ...baseline, tables }, {}, options);
    expect(judged.message).toMatch(
      /^25 of 25 tables missing: t00, t01, .*, t09 and 15 more \(against/,
    );
  });
});
