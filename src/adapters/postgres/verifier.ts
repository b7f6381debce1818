import pg from 'pg';
import type { Expectation, SqlAssertion, TableCheck, Target } from '#core/config.ts';
import type { ConnectionInfo, DatabaseVerifier } from '#core/ports.ts';
import { seconds } from '#core/report.ts';
import type { CheckResult, CheckStatus } from '#core/state.ts';

type Checks = Target['checks'];

/** What one check finds, before `timed` names and times it. */
type Outcome = { status: CheckStatus; message: string; metrics?: CheckResult['metrics'] };

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * How long past its statement timeout the client waits for a custom assertion before calling it
 * timed out itself. The server normally cancels first; PGlite has no timers and never does.
 */
const STATEMENT_TIMEOUT_GRACE_MS = 1_000;

/** `sales.orders` → `"sales"."orders"`: identifiers from the config, quoted, never spliced raw. */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');
}

/**
 * How far a freshness value may lie past the recovery point and still count: the source's and
 * the snapshot's clocks can disagree by a little. Anything later is a bogus (future) date.
 */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Longest message a check keeps: the whole drill state must fit in Step Functions' 256 KiB. */
const MAX_MESSAGE_CHARS = 1_000;

/** Longest text kept of one index's amcheck error in the integrity message. */
const MAX_ERROR_CHARS = 200;

/**
 * Most corrupt indexes the integrity message names (fewer when their errors are long); the rest
 * are only counted.
 */
const MAX_LISTED_INDEXES = 10;

/**
 * The SQLSTATEs amcheck raises for a corrupt index: `XX001` (data_corrupted: a heap tuple the
 * index lacks) and `XX002` (index_corrupted: a broken structure). Any other error (a dropped
 * connection, a lock timeout, a cancelled query) says nothing about the index.
 */
const CORRUPTION_CODES: ReadonlySet<string> = new Set(['XX001', 'XX002']);

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Whether an error is amcheck reporting corruption, judged by its SQLSTATE. */
const isCorruption = (error: unknown) =>
  typeof error === 'object' &&
  error !== null &&
  'code' in error &&
  typeof error.code === 'string' &&
  CORRUPTION_CODES.has(error.code);

/** `text`, cut to at most `max` characters ending in an ellipsis when too long. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  // Never leave half a surrogate pair at the end.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * `items` joined by "; ": at most `most` of them, and only as many as fit in `budget`
 * characters, then "and N more" for the rest, so the count is never what gets cut off.
 */
export function listWithin(items: readonly string[], most: number, budget: number): string {
  let text = '';
  let shown = 0;
  for (const item of items.slice(0, most)) {
    const next = shown ? `${text}; ${item}` : item;
    const rest = items.length - shown - 1;
    if (next.length + (rest ? `; and ${rest} more`.length : 0) > budget) break;
    text = next;
    shown++;
  }
  const rest = items.length - shown;
  if (!rest) return text;
  return shown ? `${text}; and ${rest} more` : `${rest} too long to list`;
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * Runs one check, timing it; an exception becomes that check's ERROR, never the drill's. Either
 * way the message is capped, so no check can swell the drill's state.
 */
async function timed(name: string, run: () => Promise<Outcome>): Promise<CheckResult> {
  const start = performance.now();
  try {
    const outcome = await run();
    return {
      name,
      ...outcome,
      message: clip(outcome.message, MAX_MESSAGE_CHARS),
      ms: Math.round(performance.now() - start),
    };
  } catch (error) {
    return {
      name,
      status: 'ERROR',
      message: clip(errorText(error), MAX_MESSAGE_CHARS),
      ms: Math.round(performance.now() - start),
    };
  }
}

/** Compares a query's single value with what the config expects. */
export function judge(value: unknown, expect: Expectation): { ok: boolean; message: string } {
  const wanted: string[] = [];
  if (expect.equals !== undefined) wanted.push(`= ${JSON.stringify(expect.equals)}`);
  if (expect.min !== undefined) wanted.push(`>= ${expect.min}`);
  if (expect.max !== undefined) wanted.push(`<= ${expect.max}`);
  const numeric =
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)));
  const asNumber = numeric ? Number(value) : Number.NaN;
  const shown =
    value === null || value === undefined
      ? 'no value'
      : numeric
        ? String(value)
        : JSON.stringify(value);
  const equalsOk =
    expect.equals === undefined ||
    (typeof expect.equals === 'number'
      ? asNumber === expect.equals
      : value === expect.equals || String(value) === String(expect.equals));
  const minOk = expect.min === undefined || (numeric && asNumber >= expect.min);
  const maxOk = expect.max === undefined || (numeric && asNumber <= expect.max);
  const ok = value !== null && value !== undefined && equalsOk && minOk && maxOk;
  return { ok, message: `got ${shown}, expected ${wanted.join(' and ')}` };
}

/**
 * The PostgreSQL checks, run over a real connection with `pg`: connectivity, amcheck on every
 * B-tree index, row counts, data freshness, and custom read-only SQL assertions.
 */
export class PostgresVerifier implements DatabaseVerifier {
  async verify(
    connection: ConnectionInfo,
    checks: Checks,
    recoveryPoint: Date,
  ): Promise<CheckResult[]> {
    const client = new pg.Client({
      host: connection.host,
      port: connection.port,
      database: connection.database,
      user: connection.user,
      password: connection.password,
      ssl: connection.ssl,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // A dropped connection surfaces as the failing query's error; this keeps it from crashing the process.
    client.on('error', () => undefined);
    const results: CheckResult[] = [];
    // Ended whatever happens: connectivity can fail after the connection is open (a failing probe).
    try {
      const connectivity = await timed('connectivity', () => this.connectivity(client));
      results.push(connectivity);
      const planned = this.plan(client, checks, recoveryPoint);
      if (connectivity.status !== 'PASS') {
        for (const { name } of planned)
          results.push({ name, status: 'SKIP', message: 'not connected', ms: 0 });
        return results;
      }
      for (const { name, run } of planned) results.push(await timed(name, run));
    } finally {
      await client.end().catch(() => undefined);
    }
    return results;
  }

  private plan(client: pg.Client, checks: Checks, recoveryPoint: Date) {
    const planned: { name: string; run: () => ReturnType<Parameters<typeof timed>[1]> }[] = [];
    if (checks.integrity) planned.push({ name: 'integrity', run: () => this.integrity(client) });
    for (const [table, check] of Object.entries(checks.tables)) {
      if (check.minRows !== undefined) {
        const minRows = check.minRows;
        planned.push({ name: `rows:${table}`, run: () => this.minRows(client, table, minRows) });
      }
      if (check.freshness) {
        const freshness = check.freshness;
        planned.push({
          name: `freshness:${table}.${freshness.column}`,
          run: () => this.freshness(client, table, freshness, recoveryPoint),
        });
      }
    }
    for (const assertion of checks.sql) {
      planned.push({
        name: `sql:${assertion.name}`,
        run: () => this.assertion(client, assertion, checks.statementTimeoutSeconds),
      });
    }
    return planned;
  }

  private async connectivity(client: pg.Client) {
    const start = performance.now();
    await client.connect();
    const connectMs = performance.now() - start;
    const probe = performance.now();
    await client.query('select 1');
    const roundTripMs = performance.now() - probe;
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    const version = rows[0]?.server_version ?? 'unknown';
    return {
      status: 'PASS' as const,
      message: `PostgreSQL ${version}, connected in ${Math.round(connectMs)} ms, round trip ${roundTripMs.toFixed(1)} ms`,
      metrics: {
        serverVersion: version,
        connectMs: Math.round(connectMs),
        roundTripMs: Number(roundTripMs.toFixed(2)),
      },
    };
  }

  /**
   * amcheck's `bt_index_check(heapallindexed => true)` on every valid B-tree index outside the
   * system schemas: each index's structure, and that every heap tuple is in it. Partitioned
   * indexes have no storage of their own (amcheck refuses them); their partitions' are checked.
   * Only amcheck's corruption errors make an index corrupt; any other error (the connection
   * dropped, say) ends the check as an ERROR, since the indexes left are unverified, not bad.
   */
  private async integrity(client: pg.Client) {
    await client.query('create extension if not exists amcheck');
    // amcheck may already be installed in a schema outside the search path (e.g. `extensions`).
    const { rows: installed } = await client.query<{ schema: string }>(`
      select format('%I', n.nspname) as schema
        from pg_extension e join pg_namespace n on n.oid = e.extnamespace
       where e.extname = 'amcheck'`);
    const amcheckSchema = installed[0]?.schema;
    if (!amcheckSchema) throw new Error('the amcheck extension is not installed');
    const { rows: indexes } = await client.query<{ index: string; table: string; oid: number }>(`
      select format('%I.%I', n.nspname, ic.relname) as index,
             format('%I.%I', n.nspname, tc.relname) as table,
             ic.oid::int8 as oid
        from pg_index i
        join pg_class ic on ic.oid = i.indexrelid
        join pg_class tc on tc.oid = i.indrelid
        join pg_namespace n on n.oid = ic.relnamespace
        join pg_am am on am.oid = ic.relam
       where am.amname = 'btree' and ic.relkind = 'i' and i.indisvalid and i.indisready
         and ic.relpersistence <> 't'
         and n.nspname not in ('pg_catalog', 'information_schema')
         and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'
       order by 1`);
    const broken: string[] = [];
    for (const { index, table, oid } of indexes) {
      try {
        await client.query(
          `select ${amcheckSchema}.bt_index_check(index => $1::oid::regclass, heapallindexed => true)`,
          [oid],
        );
      } catch (error) {
        if (!isCorruption(error))
          throw new Error(`could not check index ${index} on ${table}: ${errorText(error)}`, {
            cause: error,
          });
        broken.push(`index ${index} on ${table}: ${clip(errorText(error), MAX_ERROR_CHARS)}`);
      }
    }
    const tables = new Set(indexes.map((i) => i.table)).size;
    if (broken.length) {
      const summary = `${broken.length} of ${indexes.length} B-tree indexes are corrupt: `;
      const listed = listWithin(broken, MAX_LISTED_INDEXES, MAX_MESSAGE_CHARS - summary.length);
      return {
        status: 'FAIL' as const,
        message: summary + listed,
        metrics: { indexes: indexes.length, corrupt: broken.length },
      };
    }
    return {
      status: 'PASS' as const,
      message: `${indexes.length} B-tree indexes on ${tables} tables verified against their heap`,
      metrics: { indexes: indexes.length, corrupt: 0 },
    };
  }

  private async tableExists(client: pg.Client, table: string): Promise<boolean> {
    const { rows } = await client.query('select to_regclass($1) is not null as found', [
      quoteName(table),
    ]);
    return rows[0]?.found === true;
  }

  private async minRows(client: pg.Client, table: string, minRows: number) {
    if (!(await this.tableExists(client, table))) {
      return {
        status: 'FAIL' as const,
        message: `table ${table} does not exist in the restored copy`,
      };
    }
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from ${quoteName(table)}`,
    );
    const count = Number(rows[0]?.n ?? 0);
    return {
      status: count >= minRows ? ('PASS' as const) : ('FAIL' as const),
      message: `${count} rows in ${table}, at least ${minRows} expected`,
      metrics: { rows: count },
    };
  }

  /**
   * The newest value of a timestamp column, measured against the snapshot's point in time. Values
   * later than the recovery point (past the clock-skew allowance) cannot have been written before
   * the snapshot: they are bogus dates, ignored and counted, or one row dated 2099 would pass
   * the check forever.
   */
  private async freshness(
    client: pg.Client,
    table: string,
    freshness: NonNullable<TableCheck['freshness']>,
    recoveryPoint: Date,
  ): Promise<Outcome> {
    if (!(await this.tableExists(client, table))) {
      return {
        status: 'FAIL' as const,
        message: `table ${table} does not exist in the restored copy`,
      };
    }
    const column = quoteName(freshness.column);
    // Compared as timestamptz (timestamp and date columns in the session's time zone, as the
    // cast of max does), with no cast on the column, so an index on it still serves both.
    const { rows } = await client.query<{ newest: Date | null; future: string }>(
      `select (select max(${column})::timestamptz from ${quoteName(table)}
                where ${column} <= $1::timestamptz) as newest,
              (select count(*) from ${quoteName(table)}
                where ${column} > $1::timestamptz) as future`,
      [new Date(recoveryPoint.getTime() + CLOCK_SKEW_MS).toISOString()],
    );
    const newest = rows[0]?.newest;
    const futureRows = Number(rows[0]?.future ?? 0);
    const ignoring = futureRows
      ? ` (ignoring ${plural(futureRows, 'row')} dated more than ${CLOCK_SKEW_MS / 60_000} min after the recovery point)`
      : '';
    if (!newest) {
      return {
        status: 'FAIL' as const,
        message: `${table}.${freshness.column} has no values${futureRows ? ' at or before the recovery point' : ''}${ignoring}`,
        metrics: { futureRows },
      };
    }
    const aheadMs = newest.getTime() - recoveryPoint.getTime();
    // A value a little past the recovery point is clock skew: as fresh as can be.
    const lagMs = Math.max(0, -aheadMs);
    const limitMs = freshness.maxAgeMinutes * 60_000;
    const lag =
      aheadMs > 0
        ? `${seconds(aheadMs)} after the recovery point, within the clock-skew allowance`
        : `${seconds(lagMs)} before the recovery point`;
    return {
      status: lagMs <= limitMs ? ('PASS' as const) : ('FAIL' as const),
      message: `newest ${freshness.column} is ${newest.toISOString()}, ${lag} (limit ${freshness.maxAgeMinutes} min)${ignoring}`,
      metrics: { newestAt: newest.toISOString(), lagMs, futureRows },
    };
  }

  /**
   * A custom assertion runs alone (extended protocol: one statement only) inside a read-only
   * transaction with a statement timeout, and is always rolled back: it can read, never write.
   * The client holds the timeout too, for servers that do not enforce it (PGlite).
   */
  private async assertion(client: pg.Client, assertion: SqlAssertion, timeoutSeconds: number) {
    const timeoutMs = Math.round(timeoutSeconds * 1000);
    const limitMs = timeoutMs + STATEMENT_TIMEOUT_GRACE_MS;
    const overran = () =>
      new Error(
        `query ran past the statement timeout of ${timeoutSeconds} s and the server did not cancel it`,
      );
    await client.query('begin transaction read only');
    try {
      await client.query(`set local statement_timeout = ${timeoutMs}`);
      const start = performance.now();
      const result = await client
        .query({
          text: assertion.query,
          values: [],
          queryMode: 'extended',
          rowMode: 'array',
          query_timeout: limitMs,
        } as pg.QueryConfig)
        .catch((error: unknown) => {
          throw error instanceof Error && error.message === 'Query read timeout'
            ? overran()
            : error;
        });
      if (performance.now() - start > limitMs) throw overran();
      const value: unknown = (result.rows[0] as unknown[] | undefined)?.[0];
      const { ok, message } = judge(value, assertion.expect);
      return { status: ok ? ('PASS' as const) : ('FAIL' as const), message };
    } finally {
      await client.query('rollback').catch(() => undefined);
    }
  }
}
