import type pg from 'pg';
import type { TableCounts } from '#core/baseline.ts';

/** Relations of the user's own schemas: not the catalogs, TOAST, or other sessions' temp tables. */
export const USER_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema')
         and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`;

/**
 * The user tables of a database, `c` in `pg_class c join pg_namespace n`: not the system's, not
 * an extension's, not a partition (its parent counts them all), whoever may read them.
 */
export const USER_TABLE = `c.relkind in ('r', 'p') and not c.relispartition and ${USER_SCHEMAS}
            and not exists (select 1 from pg_depend d
                             where d.classid = 'pg_class'::regclass and d.objid = c.oid
                               and d.deptype = 'e')`;

/** The rows the planner estimates table `c` holds (-1: never counted), over a partitioned one's leaves. */
export const ESTIMATED_ROWS = `case when c.relkind = 'p'
                  then (select case when bool_and(pc.reltuples >= 0) then sum(pc.reltuples) else -1 end
                          from pg_partition_tree(c.oid) t join pg_class pc on pc.oid = t.relid
                         where t.isleaf)
                  else c.reltuples end`;

/**
 * For catalog reads: the planner prices a subquery per table (the partitions' estimates) so high
 * that it compiles the query with JIT, which takes longer than the query: 0.4 s on 3000 tables.
 */
export const NO_JIT = 'set local jit = off';

/** Longest the catalog read may take: it reads no table, only the catalog. */
const COUNTS_TIMEOUT_MS = 60_000;

/**
 * Every user table, `schema.table`, with the rows the catalog estimates it holds: the
 * planner's `reltuples`, or where a table was never vacuumed or analyzed, the live rows the
 * statistics counted (if they saw any activity: statistics start empty on a restored copy,
 * and an empty count would read as a table emptied). The catalog and the statistics show every
 * table to any role, so a role that may read no table at all records the whole list. Read in a
 * read-only transaction.
 */
export async function tableCounts(client: pg.Client): Promise<TableCounts> {
  await client.query('begin transaction read only');
  try {
    await client.query(`set local statement_timeout = ${COUNTS_TIMEOUT_MS}`);
    await client.query(NO_JIT);
    // No sizes (they stat every file of every table), and the statistics from their functions
    // rather than pg_stat_user_tables, which computes dozens more per table: on 3000 tables,
    // each is ten times the cost of the rest.
    const { rows } = await client.query<{ name: string; rows: number | null }>(
      `select name,
              case when estimate >= 0 then estimate
                   when pg_stat_get_tuples_inserted(oid) + pg_stat_get_tuples_updated(oid)
                        + pg_stat_get_tuples_deleted(oid) > 0
                     then pg_stat_get_live_tuples(oid)
              end::float8 as rows
         from (select c.oid, n.nspname || '.' || c.relname as name, ${ESTIMATED_ROWS} as estimate
                 from pg_class c
                 join pg_namespace n on n.oid = c.relnamespace
                where ${USER_TABLE}) tables
        order by name`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.rows === null ? null : Number(r.rows)]));
  } finally {
    await client.query('rollback');
  }
}
