import type pg from 'pg';
import type { TableCounts } from '#core/baseline.ts';

/**
 * The user tables of a database: not the system's, not an extension's, not a partition (its
 * parent counts them all), whoever may read them; each with its size in bytes and the
 * rows the planner estimates (-1: never counted), summed over a partitioned table's leaves.
 */
export const USER_TABLES = `
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
                               and d.deptype = 'e')`;

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
    const { rows } = await client.query<{ name: string; rows: number | null }>(
      `with candidates as (${USER_TABLES})
       select t.schema || '.' || t.name as name,
              case when t.estimate >= 0 then t.estimate
                   when s.n_tup_ins + s.n_tup_upd + s.n_tup_del > 0 then s.n_live_tup
              end::float8 as rows
         from candidates t
         left join pg_stat_user_tables s on s.relid = t.oid
        order by 1`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.rows === null ? null : Number(r.rows)]));
  } finally {
    await client.query('rollback');
  }
}
