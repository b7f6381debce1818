import { describe, expect, it } from 'vitest';
import {
  type CatalogColumn,
  type CatalogTable,
  eventTime,
  freshnessCandidates,
  generousMaxAge,
  minRowsOf,
  settingsOf,
  suggestTables,
  type TableReader,
  writable,
} from '#adapters/suggest-rules.ts';

const column = (name: string, more: Partial<CatalogColumn> = {}): CatalogColumn => ({
  name,
  type: more.temporal ? 'timestamp' : 'int',
  quoted: `"${name}"`,
  temporal: false,
  indexed: false,
  ...more,
});
const temporal = (name: string, indexed = false) => column(name, { temporal: true, indexed });

const table = (key: string, estimate: number, columns: CatalogColumn[]): CatalogTable => ({
  key,
  keyParts: key.split('.'),
  quoted: key,
  estimate,
  columns,
});

describe('generousMaxAge', () => {
  it('is twice the age, rounded up to whole hours, and at least a day', () => {
    expect(generousMaxAge(0)).toBe(1440);
    expect(generousMaxAge(-5)).toBe(1440);
    expect(generousMaxAge(719)).toBe(1440);
    expect(generousMaxAge(1000)).toBe(2040);
    expect(generousMaxAge(3 * 1440)).toBe(6 * 1440);
  });
});

describe('minRowsOf', () => {
  it('is the fraction of the rows, rounded down, and 0 for an empty table', () => {
    expect(minRowsOf(2000, 0.9)).toBe(1800);
    expect(minRowsOf(7, 0.5)).toBe(3);
    expect(minRowsOf(1, 0.9)).toBe(0);
    expect(minRowsOf(0, 0.9)).toBe(0);
    expect(minRowsOf(5, 1)).toBe(5);
  });
});

describe('writable', () => {
  it('takes the names a configuration can hold, and no others', () => {
    expect(['orders', '_t', 'Orders2', 'a$b'].map(writable)).toEqual([true, true, true, true]);
    expect(['Odd Name', '2fa', 'a.b', 'é', ''].map(writable)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('eventTime', () => {
  it('tells names of when something happened from other dates', () => {
    for (const name of ['shipped_at', 'paidAt', 'posted_on', 'event_time', 'at', 'TS', 'seen_ts'])
      expect(eventTime(name), name).toBe(true);
    for (const name of ['born', 'birth_date', 'expires', 'format', 'data'])
      expect(eventTime(name), name).toBe(false);
  });
});

describe('freshnessCandidates', () => {
  it('takes the preferred names first, in their order, whatever their case', () => {
    const columns = [temporal('shipped_at', true), temporal('UpdatedAt'), temporal('created_at')];
    expect(freshnessCandidates(columns).map((c) => c.name)).toEqual(['created_at', 'UpdatedAt']);
  });

  it('else the event-time names, the indexed ones only when there are any', () => {
    const columns = [temporal('born'), temporal('paid_at'), temporal('shipped_at', true)];
    expect(freshnessCandidates(columns).map((c) => c.name)).toEqual(['shipped_at']);
    expect(freshnessCandidates(columns.slice(0, 2)).map((c) => c.name)).toEqual(['paid_at']);
  });

  it('reads at most five, and never a column that is not temporal or cannot be named', () => {
    const many = ['a_at', 'b_at', 'c_at', 'd_at', 'e_at', 'f_at'].map((n) => temporal(n));
    expect(freshnessCandidates(many)).toHaveLength(5);
    expect(freshnessCandidates([column('created_at'), temporal('when at')])).toEqual([]);
  });
});

describe('settingsOf', () => {
  it('fills in 10 tables, exact counts below a million rows and 30 s per statement', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    expect(settingsOf({ fraction: 0.9, now })).toEqual({
      fraction: 0.9,
      tables: 10,
      exactCountBelow: 1_000_000,
      statementTimeoutMs: 30_000,
      now,
    });
  });
});

describe('suggestTables', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);

  /** A reader over fixed answers; `null` for a read that runs out of time. */
  function reader(
    counts: Record<string, number | null>,
    newest: Record<string, Date | null | 'none'>,
  ): TableReader<CatalogTable> & { asked: string[] } {
    const asked: string[] = [];
    return {
      asked,
      count: async (t) => {
        asked.push(`count ${t.key}`);
        return counts[t.key] ?? undefined;
      },
      newest: async (t, c, notAfter) => {
        asked.push(`newest ${t.key}.${c.name} <= ${notAfter.toISOString()}`);
        const at = newest[`${t.key}.${c.name}`];
        return at === null ? undefined : { ...(at && at !== 'none' ? { at } : {}) };
      },
    };
  }

  it('suggests minRows, freshness on the newest candidate, the columns, and integrity', async () => {
    const orders = table('orders', 2000, [
      column('id', { type: 'bigint' }),
      temporal('created_at'),
      temporal('updated_at'),
    ]);
    const read = reader(
      { orders: 2000 },
      { 'orders.created_at': hoursAgo(30), 'orders.updated_at': hoursAgo(1) },
    );

    const suggestion = await suggestTables([orders], read, { fraction: 0.9, now });

    expect(suggestion).toEqual({
      checks: {
        integrity: true,
        tables: {
          orders: {
            minRows: 1800,
            freshness: { column: 'updated_at', maxAgeMinutes: 1440 },
            columns: { id: 'bigint', created_at: 'timestamp', updated_at: 'timestamp' },
          },
        },
      },
      notes: [],
    });
    // Values past the clock-skew allowance (5 minutes) are not asked for.
    expect(read.asked).toContain('newest orders.created_at <= 2026-06-01T12:05:00.000Z');
  });

  it('takes the estimate from exactCountBelow rows on, and counts below it', async () => {
    const big = table('big', 5000, []);
    const small = table('small', 4999, []);
    const read = reader({ big: 1, small: 4000 }, {});

    const { checks } = await suggestTables([big, small], read, {
      fraction: 1,
      exactCountBelow: 5000,
      now,
    });

    expect(checks.tables).toEqual({
      big: { minRows: 5000, columns: {} },
      small: { minRows: 4000, columns: {} },
    });
    expect(read.asked).toEqual(['count small']);
  });

  it('gives an empty table minRows 0 and no freshness', async () => {
    const empty = table('audit', 0, [temporal('created_at')]);

    const { checks } = await suggestTables(
      [empty],
      reader({ audit: 0 }, { 'audit.created_at': 'none' }),
      {
        fraction: 0.9,
        now,
      },
    );

    expect(checks.tables.audit).toEqual({ minRows: 0, columns: { created_at: 'timestamp' } });
  });

  it('leaves out, with a note, what a configuration cannot name and what ran out of time', async () => {
    const tables = [
      table('Odd Name', 10, [column('id')]),
      table('events', 10, [column('body text'), temporal('at')]),
    ];
    const read = reader({ events: null }, { 'events.at': null });

    const suggestion = await suggestTables(tables, read, {
      fraction: 0.9,
      statementTimeoutMs: 2_000,
      now,
    });

    expect(suggestion.checks.tables).toEqual({ events: { columns: { at: 'timestamp' } } });
    expect(suggestion.notes).toEqual([
      'Odd Name: left out, its name cannot be written in a configuration',
      'events: not counted within 2 s, so no minRows',
      'events.at: newest value not read within 2 s',
      'events: column "body text" left out, its name cannot be written in a configuration',
    ]);
  });
});
