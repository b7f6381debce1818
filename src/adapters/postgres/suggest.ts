import type pg from 'pg';
import {
  type CatalogColumn,
  type CatalogTable,
  type Suggestion,
  type SuggestOptions,
  settingsOf,
  suggestTables,
} from '../suggest-rules.ts';
import { ESTIMATED_ROWS, NO_JIT, USER_TABLE } from './catalog.ts';

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

interface ColumnRow extends CatalogColumn {
  table_oid: string;
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
  const { tables: limit, statementTimeoutMs } = settingsOf(options);

  await client.query('begin transaction read only');
  try {
    await client.query(`set local statement_timeout = ${Math.round(statementTimeoutMs)}`);
    await client.query(NO_JIT);
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

    // The user tables this role may read.
    const { rows: found } = await client.query<TableRow>(
      `with candidates as (
         select c.oid, n.nspname as schema, c.relname as name,
                format('%I.%I', n.nspname, c.relname) as quoted,
                pg_table_is_visible(c.oid) as visible,
                case when c.relkind = 'p'
                  then (select sum(pg_total_relation_size(t.relid)) from pg_partition_tree(c.oid) t)
                  else pg_total_relation_size(c.oid) end as bytes,
                ${ESTIMATED_ROWS} as estimate
           from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
          where ${USER_TABLE} and has_table_privilege(c.oid, 'select'))
       select oid::int8::text as oid, schema, name, quoted, visible,
              coalesce(estimate, -1)::float8 as estimate
         from candidates
        order by coalesce(bytes, 0) desc, estimate desc, schema, name
        limit $1`,
      [limit],
    );

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

    const tables = found.map((table) => ({
      key: table.visible ? table.name : `${table.schema}.${table.name}`,
      keyParts: table.visible ? [table.name] : [table.schema, table.name],
      quoted: table.quoted,
      estimate: table.estimate,
      columns: columnRows.filter((c) => c.table_oid === table.oid),
    })) satisfies CatalogTable<ColumnRow>[];
    const suggestion = await suggestTables(
      tables,
      {
        count: async (table) => {
          const counted = await bounded<{ n: string }>(`select count(*) as n from ${table.quoted}`);
          return counted && Number(counted[0]?.n ?? 0);
        },
        newest: async (table, column, notAfter) => {
          const result = await bounded<{ newest: Date | null }>(
            `select max(${column.quoted})::timestamptz as newest from ${table.quoted}
              where ${column.quoted} <= $1::timestamptz`,
            [notAfter.toISOString()],
          );
          return result && { at: result[0]?.newest ?? undefined };
        },
      },
      options,
    );
    if (!found.length) suggestion.notes.push('no user tables found that this role can read');
    return suggestion;
  } finally {
    await client.query('rollback').catch(() => undefined);
  }
}
