import type pg from 'pg';
import { CLOCK_SKEW_MS } from '../checks.ts';

/** What a table's suggested checks hold, as the configuration's `checks.tables.<table>` has it. */
export interface SuggestedTable {
  minRows?: number;
  freshness?: { column: string; maxAgeMinutes: number };
  columns: Record<string, string>;
}

/** A starting `checks` object for a target, and what was left out of it and why. */
export interface Suggestion {
  checks: { integrity: true; tables: Record<string, SuggestedTable> };
  /** One line each: a table or column left out, a count or newest value not read in time. */
  notes: string[];
}

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

/** Names as the configuration takes them: a table key is `name` or `schema.name` of these. */
const identifier = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Column names a freshness check prefers, best first, compared without case or underscores. */
const preferredFreshness = ['createdat', 'updatedat', 'insertedat', 'modifiedat'];

/** The least `maxAgeMinutes` suggested: a day, so a quiet night never fails the check. */
const MIN_MAX_AGE_MINUTES = 1440;

/** Most temporal columns whose newest value is read when none has a preferred name. */
const MAX_FRESHNESS_CANDIDATES = 5;

interface TableRow {
  oid: string;
  schema: string;
  name: string;
  /** `format('%I.%I')`: safe to put into SQL. */
  quoted: string;
  /** Found through the search path, so its unqualified name means it. */
  visible: boolean;
  estimate: number;
}

interface ColumnRow {
  table_oid: string;
  name: string;
  type: string;
  quoted: string;
  temporal: boolean;
  indexed: boolean;
}

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
const eventTime = (name: string) =>
  /(_at|_on|_time|_ts|_timestamp)$/i.test(name) ||
  /[a-z]At$/.test(name) ||
  /^(at|ts|time|timestamp)$/i.test(name);

/**
 * The columns worth a freshness check, best first: those with a preferred name, else the
 * date and timestamp columns named like an event's time, those with an index first (their
 * newest value is cheap to read).
 */
function freshnessCandidates(columns: ColumnRow[]): ColumnRow[] {
  const temporal = columns.filter((c) => c.temporal && identifier.test(c.name));
  const rank = (c: ColumnRow) =>
    preferredFreshness.indexOf(c.name.toLowerCase().replaceAll('_', ''));
  const preferred = temporal.filter((c) => rank(c) >= 0).sort((a, b) => rank(a) - rank(b));
  if (preferred.length) return preferred;
  const events = temporal.filter((c) => eventTime(c.name));
  const indexed = events.filter((c) => c.indexed);
  return (indexed.length ? indexed : events).slice(0, MAX_FRESHNESS_CANDIDATES);
}

/**
 * Reads a PostgreSQL database's catalog and proposes checks for its largest user tables (by
 * total size, then estimated rows): `minRows` at a fraction of the current count (exact for
 * small tables, the planner's estimate for large ones), a freshness check on the table's
 * newest date or timestamp column with a generous limit, the columns with their types, and
 * integrity. Everything runs in one read-only transaction that is rolled back; each count and
 * newest-value query is bounded by a statement timeout, and one that runs out is left out.
 */
export async function suggestChecks(
  client: pg.Client,
  options: SuggestOptions,
): Promise<Suggestion> {
  const limit = options.tables ?? 10;
  const exactBelow = options.exactCountBelow ?? 1_000_000;
  const timeoutMs = options.statementTimeoutMs ?? 30_000;
  const now = options.now ?? new Date();
  const notes: string[] = [];
  const tables: Record<string, SuggestedTable> = {};

  await client.query('begin transaction read only');
  try {
    await client.query(`set local statement_timeout = ${Math.round(timeoutMs)}`);
    /** Runs a query that may time out; `undefined` when it did, the transaction still usable. */
    const bounded = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
      await client.query('savepoint suggest_step');
      try {
        const { rows } = await client.query<R>(text, values);
        await client.query('release savepoint suggest_step');
        return rows;
      } catch (error) {
        await client.query('rollback to savepoint suggest_step');
        if ((error as { code?: string }).code === '57014') return undefined; // query_canceled
        throw error;
      }
    };

    // User tables: not the system's, not an extension's, not a partition (its parent counts
    // them all), and readable by this role.
    const { rows: found } = await client.query<TableRow>(
      `with candidates as (
         select c.oid, n.nspname as schema, c.relname as name,
                format('%I.%I', n.nspname, c.relname) as quoted,
                pg_table_is_visible(c.oid) as visible,
                case when c.relkind = 'p'
                  then (select sum(pg_total_relation_size(t.relid)) from pg_partition_tree(c.oid) t)
                  else pg_total_relation_size(c.oid) end as bytes,
                case when c.relkind = 'p'
                  then (select case when bool_and(pc.reltuples >= 0) then sum(pc.reltuples) else -1 end
                          from pg_partition_tree(c.oid) t join pg_class pc on pc.oid = t.relid
                         where t.isleaf)
                  else c.reltuples end as estimate
           from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
          where c.relkind in ('r', 'p') and not c.relispartition
            and n.nspname not in ('pg_catalog', 'information_schema')
            and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'
            and not exists (select 1 from pg_depend d
                             where d.classid = 'pg_class'::regclass and d.objid = c.oid
                               and d.deptype = 'e')
            and has_table_privilege(c.oid, 'select'))
       select oid::int8::text as oid, schema, name, quoted, visible,
              coalesce(estimate, -1)::float8 as estimate
         from candidates
        order by coalesce(bytes, 0) desc, estimate desc, schema, name
        limit $1`,
      [limit],
    );
    if (!found.length) notes.push('no user tables found that this role can read');

    const { rows: columnRows } = await client.query<ColumnRow>(
      `select a.attrelid::int8::text as table_oid, a.attname as name,
              format_type(a.atttypid, a.atttypmod) as type, format('%I', a.attname) as quoted,
              a.atttypid in ('timestamp'::regtype, 'timestamptz'::regtype, 'date'::regtype)
                as temporal,
              exists (select 1 from pg_index i
                       where i.indrelid = a.attrelid and i.indkey[0] = a.attnum) as indexed
         from pg_attribute a
        where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
        order by a.attrelid, a.attnum`,
      [found.map((t) => t.oid)],
    );

    for (const table of found) {
      const key = table.visible ? table.name : `${table.schema}.${table.name}`;
      if (!identifier.test(table.name) || (!table.visible && !identifier.test(table.schema))) {
        notes.push(`${table.quoted}: left out, its name cannot be written in a configuration`);
        continue;
      }
      const columns = columnRows.filter((c) => c.table_oid === table.oid);
      let rows: number | undefined;
      if (table.estimate >= exactBelow) {
        rows = Math.round(table.estimate);
      } else {
        const counted = await bounded<{ n: string }>(`select count(*) as n from ${table.quoted}`);
        if (counted) rows = Number(counted[0]?.n ?? 0);
        else notes.push(`${key}: not counted within ${timeoutMs / 1000} s, so no minRows`);
      }

      let newest: { column: string; at: Date } | undefined;
      for (const column of freshnessCandidates(columns)) {
        const result = await bounded<{ newest: Date | null }>(
          `select max(${column.quoted})::timestamptz as newest from ${table.quoted}
            where ${column.quoted} <= $1::timestamptz`,
          [new Date(now.getTime() + CLOCK_SKEW_MS).toISOString()],
        );
        if (!result) {
          notes.push(`${key}.${column.name}: newest value not read within ${timeoutMs / 1000} s`);
          continue;
        }
        const at = result[0]?.newest;
        if (at && (!newest || at > newest.at)) newest = { column: column.name, at };
      }
      const typed: Record<string, string> = {};
      for (const column of columns) {
        if (identifier.test(column.name)) typed[column.name] = column.type;
        else
          notes.push(
            `${key}: column ${column.quoted} left out, its name cannot be written in a configuration`,
          );
      }
      const ageMinutes = newest && (now.getTime() - newest.at.getTime()) / 60_000;
      tables[key] = {
        ...(rows === undefined ? {} : { minRows: Math.floor(rows * options.fraction) }),
        ...(newest && ageMinutes !== undefined
          ? { freshness: { column: newest.column, maxAgeMinutes: generousMaxAge(ageMinutes) } }
          : {}),
        columns: typed,
      };
    }
  } finally {
    await client.query('rollback').catch(() => undefined);
  }
  return { checks: { integrity: true, tables }, notes };
}
