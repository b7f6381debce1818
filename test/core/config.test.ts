import { describe, expect, it } from 'vitest';
import { parseConfig } from '#core/config.ts';
import { ConfigError } from '#core/errors.ts';

const valid = {
  targets: [
    {
      name: 'orders',
      engine: 'postgres',
      database: 'postgres',
      source: { dataDir: './data' },
      checks: {
        integrity: true,
        tables: {
          orders: { minRows: 1000, freshness: { column: 'created_at', maxAgeMinutes: 1440 } },
        },
        sql: [
          {
            name: 'no negative totals',
            query: 'select count(*) from orders where total < 0',
            expect: { equals: 0 },
          },
        ],
      },
    },
  ],
};

describe('parseConfig', () => {
  it('accepts the documented shape and fills in defaults', () => {
    const config = parseConfig(valid);
    expect(config.targets[0]?.timeouts).toEqual({ snapshotMinutes: 60, restoreMinutes: 90 });
    expect(config.targets[0]?.checks.statementTimeoutSeconds).toBe(60);
  });

  it('names the path of every bad field', () => {
    const [target] = structuredClone(valid).targets;
    const bad = {
      targets: [
        {
          ...target,
          name: 'Orders DB',
          engine: 'oracle',
          typo: true,
          checks: {
            tables: { orders: { minRows: -1 } },
            sql: [{ name: 'x', query: 'select 1', expect: {} }],
          },
        },
      ],
    };
    const error = (() => {
      try {
        parseConfig(bad);
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const paths = error?.problems.map((p) => p.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'targets[0].name',
        'targets[0].engine',
        'targets[0].checks.tables.orders.minRows',
        'targets[0].checks.sql[0].expect',
        'targets[0]',
      ]),
    );
  });

  it('rejects duplicate target names and an empty list', () => {
    expect(() => parseConfig({ targets: [] })).toThrow(ConfigError);
    expect(() => parseConfig({ targets: [valid.targets[0], valid.targets[0]] })).toThrow(/unique/);
  });
});
