/**
 * What `suggest` proposes for a table, whatever its engine: which tables and columns a
 * configuration can name, which column a freshness check goes on and with what limit, and
 * `minRows` from a count. Each engine's suggest reads its own catalog and counts; this module
 * turns what they read into the suggestion.
 */

import type { SuggestedTable, Suggestion } from '#core/ports.ts';
import { CLOCK_SKEW_MS } from './checks.ts';

export type { SuggestedTable, Suggestion };

/** `minRows` at this fraction of each table's rows now, unless asked otherwise. */
export const DEFAULT_FRACTION = 0.9;

export interface SuggestOptions {
  /** `minRows` is this fraction of each table's current count (0 < fraction <= 1). */
  fraction: number;
  /** How many of the largest tables get checks (default 10). */
  tables?: number;
  /** Tables estimated below this many rows are counted exactly; larger ones by estimate. */
  exactCountBelow?: number;
  /** Longest any one count or newest-value query may run before it is given up. */
  statementTimeoutMs?: number;
  /** The moment freshness is measured from (default: now). */
  now?: Date;
}

/** The options with their defaults filled in. */
export function settingsOf(options: SuggestOptions): Required<SuggestOptions> {
  return {
    fraction: options.fraction,
    tables: options.tables ?? 10,
    exactCountBelow: options.exactCountBelow ?? 1_000_000,
    statementTimeoutMs: options.statementTimeoutMs ?? 30_000,
    now: options.now ?? new Date(),
  };
}

/** Names as the configuration takes them: a table key is `name` or `schema.name` of these. */
const identifier = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Whether a table, schema or column name can be written in a configuration. */
export const writable = (name: string) => identifier.test(name);

/** Column names a freshness check prefers, best first, compared without case or underscores. */
const preferredFreshness = ['createdat', 'updatedat', 'insertedat', 'modifiedat'];

/** The least `maxAgeMinutes` suggested: a day, so a quiet night never fails the check. */
const MIN_MAX_AGE_MINUTES = 1440;

/** Most temporal columns whose newest value is read when none has a preferred name. */
const MAX_FRESHNESS_CANDIDATES = 5;

/**
 * `maxAgeMinutes` for a newest value `ageMinutes` old: twice that, rounded up to whole hours,
 * and never under a day.
 */
export function generousMaxAge(ageMinutes: number): number {
  return Math.max(MIN_MAX_AGE_MINUTES, Math.ceil((2 * Math.max(0, ageMinutes)) / 60) * 60);
}

/**
 * Names of when something happened (`shipped_at`, `paidAt`, `posted_on`, `event_time`), unlike
 * a `birth_date` or an `expires` whose newest value says nothing about the latest write.
 */
export const eventTime = (name: string) =>
  /(_at|_on|_time|_ts|_timestamp)$/i.test(name) ||
  /[a-z]At$/.test(name) ||
  /^(at|ts|time|timestamp)$/i.test(name);

/** `minRows` for a table of `rows` rows now: that fraction of them, rounded down. */
export const minRowsOf = (rows: number, fraction: number) => Math.floor(rows * fraction);

/** A column as an engine's catalog describes it. */
export interface CatalogColumn {
  name: string;
  /** Its type as that engine's `columns` check compares it. */
  type: string;
  /** Its name as SQL quotes it, for the notes. */
  quoted: string;
  /** A date or timestamp column, which a freshness check can measure. */
  temporal: boolean;
  /** The first column of an index: its newest value is cheap to read. */
  indexed: boolean;
}

/**
 * The columns worth a freshness check, best first: those with a preferred name, else the
 * date and timestamp columns named like an event's time, those with an index first (their
 * newest value is cheap to read).
 */
export function freshnessCandidates<C extends CatalogColumn>(columns: C[]): C[] {
  const temporal = columns.filter((c) => c.temporal && writable(c.name));
  const rank = (c: C) => preferredFreshness.indexOf(c.name.toLowerCase().replaceAll('_', ''));
  const preferred = temporal.filter((c) => rank(c) >= 0).sort((a, b) => rank(a) - rank(b));
  if (preferred.length) return preferred;
  const events = temporal.filter((c) => eventTime(c.name));
  const indexed = events.filter((c) => c.indexed);
  return (indexed.length ? indexed : events).slice(0, MAX_FRESHNESS_CANDIDATES);
}

/** One of the largest tables, as an engine's catalog describes it. */
export interface CatalogTable<C extends CatalogColumn = CatalogColumn> {
  /** The key the configuration names it by: what that engine's checks look the table up by. */
  key: string;
  /** The names the key is made of, each of which must be writable. */
  keyParts: string[];
  /** Its name as SQL quotes it, for the notes. */
  quoted: string;
  /** Rows as the catalog estimates them; negative when it has no estimate. */
  estimate: number;
  columns: C[];
}

/**
 * How an engine reads a table for its suggestion, each read bounded by the statement timeout:
 * `undefined` when it ran out of time.
 */
export interface TableReader<T extends CatalogTable> {
  /** The table's rows, counted. */
  count(table: T): Promise<number | undefined>;
  /** The newest value of `column` no later than `notAfter`, if it has one. */
  newest(
    table: T,
    column: T['columns'][number],
    notAfter: Date,
  ): Promise<{ at?: Date } | undefined>;
}

/**
 * The suggestion for the largest tables, in the order given: for each, `minRows` at a fraction
 * of its rows (counted exactly below `exactCountBelow` estimated rows, else the estimate),
 * freshness on the candidate column with the newest value (future values past the clock-skew
 * allowance left out, as the freshness check leaves them out) at a generous limit, every
 * column with its type, and integrity. A table or column whose name a configuration cannot
 * hold, and a count or newest value that ran out of time, is left out with a note saying so.
 */
export async function suggestTables<T extends CatalogTable>(
  tables: T[],
  reader: TableReader<T>,
  options: SuggestOptions,
): Promise<Suggestion> {
  const { fraction, exactCountBelow, statementTimeoutMs, now } = settingsOf(options);
  const within = `within ${statementTimeoutMs / 1000} s`;
  const notes: string[] = [];
  const suggested: Record<string, SuggestedTable> = {};
  for (const table of tables) {
    const { key } = table;
    if (!table.keyParts.every(writable)) {
      notes.push(`${table.quoted}: left out, its name cannot be written in a configuration`);
      continue;
    }
    let rows: number | undefined;
    if (table.estimate >= exactCountBelow) {
      rows = Math.round(table.estimate);
    } else {
      rows = await reader.count(table);
      if (rows === undefined) notes.push(`${key}: not counted ${within}, so no minRows`);
    }

    let newest: { column: string; at: Date } | undefined;
    const notAfter = new Date(now.getTime() + CLOCK_SKEW_MS);
    for (const column of freshnessCandidates(table.columns)) {
      const read = await reader.newest(table, column, notAfter);
      if (!read) {
        notes.push(`${key}.${column.name}: newest value not read ${within}`);
        continue;
      }
      if (read.at && (!newest || read.at > newest.at))
        newest = { column: column.name, at: read.at };
    }
    const typed: Record<string, string> = {};
    for (const column of table.columns) {
      if (writable(column.name)) typed[column.name] = column.type;
      else
        notes.push(
          `${key}: column ${column.quoted} left out, its name cannot be written in a configuration`,
        );
    }
    const ageMinutes = newest && (now.getTime() - newest.at.getTime()) / 60_000;
    suggested[key] = {
      ...(rows === undefined ? {} : { minRows: minRowsOf(rows, fraction) }),
      ...(newest && ageMinutes !== undefined
        ? { freshness: { column: newest.column, maxAgeMinutes: generousMaxAge(ageMinutes) } }
        : {}),
      columns: typed,
    };
  }
  return { checks: { integrity: true, tables: suggested }, notes };
}
