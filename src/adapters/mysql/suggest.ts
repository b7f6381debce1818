import {
  type CatalogColumn,
  type CatalogTable,
  type Suggestion,
  type SuggestOptions,
  settingsOf,
  suggestTables,
} from '../suggest-rules.ts';
import { withoutWidth } from './column-types.ts';
import { BASE_TABLE_TYPES, mysqlUtc, parseUtc, type Session, TEMPORAL_TYPES } from './verifier.ts';

/**
 * A statement stopped by the session's time limit: MariaDB's max_statement_time (1969,
 * ER_STATEMENT_TIMEOUT), MySQL's max_execution_time (3024, ER_QUERY_TIMEOUT).
 */
const TIMED_OUT: ReadonlySet<number> = new Set([1969, 3024]);

/** A name as MySQL quotes it, dots and all: `` `Odd Name` ``. */
const quoted = (name: string) => `\`${name.replaceAll('`', '``')}\``;

interface ColumnRow {
  tableName: string;
  name: string;
  columnType: string;
  dataType: string;
}

/**
 * Reads the catalog of a MySQL-family database (MySQL, MariaDB, Aurora MySQL), the one `session`
 * is connected to, and proposes checks for its largest base tables (by data and index length,
 * then estimated rows), by the same rules as for PostgreSQL: `minRows` at a fraction of the
 * current count (exact for small tables, information_schema's estimate for large ones), a
 * freshness check on the newest DATE, DATETIME or TIMESTAMP column (read in UTC, as the checks
 * read it), the columns with their types as the `columns` check compares them (the integer
 * display width left out, which MySQL 8 no longer shows), and integrity. A table's key is its
 * name, as the checks look it up in the target's database.
 *
 * `session` is open, and read-only; everything runs in one READ ONLY transaction that is rolled
 * back, each statement under the server's own time limit (MariaDB's max_statement_time, MySQL's
 * max_execution_time), restored afterwards. A count or newest value that runs out of time is
 * left out.
 */
export async function suggestChecks(
  session: Session,
  options: SuggestOptions,
): Promise<Suggestion> {
  const { tables: limit, statementTimeoutMs } = settingsOf(options);
  const variable = session.facts?.timeoutVariable;
  let previous = 0;
  if (variable) {
    const [row] = await session.query<{ value: unknown }>(`SELECT @@SESSION.${variable} AS value`);
    previous = Number(row?.value ?? 0);
    const limited =
      variable === 'max_statement_time'
        ? statementTimeoutMs / 1000
        : Math.round(statementTimeoutMs);
    await session.query(`SET SESSION ${variable} = ?`, [limited]);
  }
  try {
    return await session.readOnly(() => readCatalog(session, limit, options));
  } finally {
    if (variable)
      await session.query(`SET SESSION ${variable} = ?`, [previous]).catch(() => undefined);
  }
}

async function readCatalog(
  session: Session,
  limit: number,
  options: SuggestOptions,
): Promise<Suggestion> {
  /** Runs a query that may time out; `undefined` when it did (the transaction goes on). */
  const bounded = async <R>(sql: string, values?: unknown[]) => {
    try {
      return await session.query<R>(sql, values);
    } catch (error) {
      if (TIMED_OUT.has(Number((error as { errno?: unknown }).errno))) return undefined;
      throw error;
    }
  };

  const [current] = await session.query<{ db: string | null }>('SELECT DATABASE() AS db');
  const database = current?.db;
  if (!database) throw new Error('the session has no database to read');
  // information_schema lists only the tables this user has some privilege on.
  const found = await session.query<{ name: string; estimate: unknown }>(
    `SELECT table_name AS name, table_rows AS estimate
       FROM information_schema.tables
      WHERE table_schema = ? AND table_type IN ${BASE_TABLE_TYPES}
      ORDER BY COALESCE(data_length, 0) + COALESCE(index_length, 0) DESC,
               COALESCE(table_rows, -1) DESC, table_name
      LIMIT ?`,
    [database, limit],
  );
  const names = found.map((t) => t.name);
  const columnRows = found.length
    ? await session.query<ColumnRow>(
        `SELECT table_name AS tableName, column_name AS name, column_type AS columnType,
                data_type AS dataType
           FROM information_schema.columns
          WHERE table_schema = ? AND table_name IN (?)
          ORDER BY table_name, ordinal_position`,
        [database, names],
      )
    : [];
  // Apart, not as a subquery per column: information_schema opens the tables for each.
  const indexRows = found.length
    ? await session.query<{ tableName: string; name: string }>(
        `SELECT table_name AS tableName, column_name AS name FROM information_schema.statistics
          WHERE table_schema = ? AND table_name IN (?) AND seq_in_index = 1`,
        [database, names],
      )
    : [];
  const indexed = new Set(indexRows.map((r) => JSON.stringify([r.tableName, r.name])));

  const tables = found.map(({ name, estimate }) => ({
    key: name,
    keyParts: [name],
    quoted: quoted(name),
    estimate: estimate === null || estimate === undefined ? -1 : Number(estimate),
    // information_schema may compare names without case: a table has the columns of its exact name.
    columns: columnRows
      .filter((c) => c.tableName === name)
      .map(
        (c): CatalogColumn => ({
          name: c.name,
          type: withoutWidth(c.columnType),
          quoted: quoted(c.name),
          temporal: TEMPORAL_TYPES.has(c.dataType.toLowerCase()),
          indexed: indexed.has(JSON.stringify([c.tableName, c.name])),
        }),
      ),
  })) satisfies CatalogTable[];

  const suggestion = await suggestTables(
    tables,
    {
      count: async (table) => {
        const counted = await bounded<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table.quoted}`);
        return counted && Number(counted[0]?.n ?? 0);
      },
      newest: async (table, column, notAfter) => {
        // No function on the column, so an index on it serves; the same comparison as the check's.
        const result = await bounded<{ newest: unknown }>(
          `SELECT MAX(${column.quoted}) AS newest FROM ${table.quoted} WHERE ${column.quoted} <= ?`,
          [mysqlUtc(notAfter)],
        );
        return result && { at: parseUtc(result[0]?.newest) };
      },
    },
    options,
  );
  if (!found.length)
    suggestion.notes.push(`no tables found in ${database} that this user can read`);
  return suggestion;
}
