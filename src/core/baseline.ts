/**
 * Baselines: a database's table list and estimated row counts (names and numbers, never data),
 * recorded from the source when its snapshot is taken, or from the last copy that passed. A
 * restored copy missing a table, or counting far fewer rows in one, fails against it.
 */
import * as z from 'zod/mini';
import { type BaselineOptions, parseWith } from './config.ts';
import { ConfigError } from './errors.ts';
import type { CheckResult } from './state.ts';
import { plural } from './text.ts';

/** Each table's estimated rows, by its name; `null` where the catalog has no estimate. */
export type TableCounts = Record<string, number | null>;

export const baselineSchema = z.object({
  /** Read from the source at snapshot time, or from an earlier drill's copy. */
  from: z.enum(['source', 'copy']),
  /** When the counts were read (a copy's: the point in time its data is from). */
  takenAt: z.iso.datetime({ offset: true }),
  /** The drill that read them. */
  drillId: z.string(),
  tables: z.record(z.string(), z.nullable(z.number())),
});
export type Baseline = z.infer<typeof baselineSchema>;

/** A stored baseline, read back; one that is not JSON, or not a baseline, says where it is. */
export function parseBaseline(text: string, what: string): Baseline {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  return parseWith(baselineSchema, json, what);
}

/** The key of the baseline a drill's passing copy leaves for the drills after it. */
export const LAST_COPY = 'last-copy';

type Judgement = Pick<CheckResult, 'status' | 'message' | 'metrics'>;

/** At most this many tables named in a message; the rest are counted. */
const NAMED = 10;

const named = (tables: string[]) =>
  tables.length > NAMED
    ? `${tables.slice(0, NAMED).join(', ')} and ${tables.length - NAMED} more`
    : tables.join(', ');

/** An estimate, rounded: `~1,204 rows`. */
const rows = (n: number) => {
  const about = Math.round(n);
  return `~${about.toLocaleString('en-US')} ${about === 1 ? 'row' : 'rows'}`;
};

/** Where a baseline came from, as a message says it. */
export function describeBaseline(baseline: Baseline): string {
  const what = baseline.from === 'source' ? 'the source' : `the copy of ${baseline.drillId}`;
  return `${what} at ${baseline.takenAt}`;
}

/**
 * The copy's tables against the baseline's: every table of the baseline must be in the copy,
 * and one the baseline counts at least `minRows` rows in must hold no fewer than
 * `tolerancePercent` below that. Tables new in the copy are fine.
 */
export function compareWithBaseline(
  baseline: Baseline,
  copy: TableCounts,
  { tolerancePercent, minRows }: BaselineOptions,
): Judgement {
  if (!Object.keys(baseline.tables).length) {
    return {
      status: 'SKIP',
      message: `the baseline from ${describeBaseline(baseline)} lists no tables: is the database right, and may its user see the tables?`,
    };
  }
  const missing: string[] = [];
  const short: string[] = [];
  let compared = 0;
  const names = Object.keys(baseline.tables).sort();
  for (const table of names) {
    if (!(table in copy)) {
      missing.push(table);
      continue;
    }
    const expected = baseline.tables[table] ?? null;
    const found = copy[table] ?? null;
    if (expected === null || found === null || expected < minRows) continue;
    compared++;
    if (found < expected * (1 - tolerancePercent / 100)) {
      short.push(`${table} has ${rows(found)} against ${rows(expected)}`);
    }
  }
  const metrics = {
    tables: names.length,
    compared,
    missing: missing.length,
    short: short.length,
  };
  const against = `the baseline from ${describeBaseline(baseline)}`;
  const problems = [
    missing.length && `${missing.length} of ${names.length} tables missing: ${named(missing)}`,
    short.length &&
      `${plural(short.length, 'table')} more than ${tolerancePercent}% below its count: ${named(short)}`,
  ].filter(Boolean);
  if (problems.length) {
    return { status: 'FAIL', message: `${problems.join('; ')} (against ${against})`, metrics };
  }
  return {
    status: 'PASS',
    message: `all ${names.length} tables of ${against} are here; ${compared} with at least ${minRows} rows within ${tolerancePercent}% of their counts`,
    metrics,
  };
}
