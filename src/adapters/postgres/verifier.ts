import pg from 'pg';
import {
  type IntegrityOptions,
  integrityOf,
  type SqlAssertion,
  type TableCheck,
  type Target,
} from '#core/config.ts';
import type { ConnectionInfo, DatabaseVerifier } from '#core/ports.ts';
import { seconds, bytes as sizeOf } from '#core/report.ts';
import type { CheckResult } from '#core/state.ts';
import {
  CLOCK_SKEW_MS,
  clip,
  errorText,
  judge,
  listWithin,
  MAX_MESSAGE_CHARS,
  type Outcome,
  plural,
  timed,
} from '../checks.ts';
import { typeMatches } from './types.ts';

type Checks = Target['checks'];

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * How long past its statement timeout the client waits for a custom assertion before calling it
 * timed out itself. The server normally cancels first; PGlite has no timers and never does.
 */
const STATEMENT_TIMEOUT_GRACE_MS = 1_000;

/**
 * How long the checks that read the database itself (integrity, heap, read-all, and the table
 * checks) may take together, by default: what the Verify function's 15 minutes leave after
 * connecting, the SQL assertions and the report. Every statement they run has the time left as
 * its statement timeout, so a big or slow copy ends as an ERROR saying how far the check got,
 * never as a killed Lambda with no report at all.
 */
export const DEFAULT_BUDGET_SECONDS = 12 * 60;

export interface PostgresVerifierOptions {
  /** The time budget of the integrity, heap, read-all and table checks together. */
  budgetSeconds?: number;
}

/** `sales.orders` → `"sales"."orders"`: identifiers from the config, quoted, never spliced raw. */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');
}

/** Longest text kept of one object's error (or one heap problem) in a check's message. */
const MAX_ERROR_CHARS = 200;

/**
 * Most broken objects (indexes, tables, columns) a message names (fewer when their errors are
 * long); the rest are only counted.
 */
const MAX_LISTED = 10;

/** Most problems verify_heapam reports that the heap check quotes for one table. */
const MAX_HEAP_PROBLEMS = 3;

/**
 * The SQLSTATEs amcheck raises for corrupt data: `XX001` (data_corrupted: a heap tuple an index
 * lacks, a page that fails verification) and `XX002` (index_corrupted: a broken structure). Any
 * other error (a dropped connection, a lock timeout, a cancelled query) says nothing about the
 * data.
 */
const CORRUPTION_CODES: ReadonlySet<string> = new Set(['XX001', 'XX002']);

/**
 * Why `create extension amcheck` may fail on a copy that is otherwise fine, each making the
 * amcheck checks SKIP: no extension files (`0A000`; `58P01` before PostgreSQL 16), no
 * privilege (`42501`), a read-only server (`25006`). Anything else is an ERROR.
 */
const AMCHECK_UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  '0A000',
  '58P01',
  '42501',
  '25006',
]);

/** The SQLSTATE of a statement cancelled, by its statement timeout among others. */
const QUERY_CANCELED = '57014';

const sqlState = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;

/** Whether an error is amcheck reporting corruption, judged by its SQLSTATE. */
const isCorruption = (error: unknown) => CORRUPTION_CODES.has(sqlState(error) ?? '');

/**
 * Whether reading a table failed on its data rather than on the session: the server's internal
 * and data-corruption errors (class `XX`: an invalid page, a missing TOAST chunk) and its system
 * errors (class `58`: a block or a commit-log file that cannot be read). A cancelled statement,
 * a dropped connection or a missing privilege says nothing about the data.
 */
const isReadFailure = (error: unknown) => /^(XX|58)/.test(sqlState(error) ?? '');

/**
 * A check's FAIL message: `summary`, the findings (bounded, the rest counted), and the error
 * that stopped it early, if any, so what was found is never lost to what could not be checked.
 */
function failMessage(summary: string, findings: readonly string[], stopped?: string): string {
  const tail = stopped ? `; then ${clip(stopped, MAX_ERROR_CHARS)}` : '';
  const room = MAX_MESSAGE_CHARS - summary.length - tail.length;
  return summary + listWithin(findings, MAX_LISTED, room) + tail;
}

/** The amcheck functions the checks call, each by the arguments they name. */
const AMCHECK_FUNCTIONS = {
  bt_index_check: { argument: 'heapallindexed', since: 'amcheck 1.1 (PostgreSQL 11)' },
  bt_index_parent_check: { argument: 'heapallindexed', since: 'amcheck 1.1 (PostgreSQL 11)' },
  verify_heapam: { argument: 'check_toast', since: 'amcheck 1.3 (PostgreSQL 14)' },
} as const;
type AmcheckFunction = keyof typeof AMCHECK_FUNCTIONS;

/** amcheck on the copy: where it is and what it offers, or why it cannot be used at all. */
type Amcheck =
  | {
      /** Its schema, quoted, ready to qualify a call. */
      schema: string;
      version: string;
      /** Each function the checks may call: whether it exists and this session may execute it. */
      functions: Map<string, boolean>;
    }
  | { unavailable: string };

/** One verification: its connection, its deadline, and amcheck once it has been looked at. */
interface Session {
  client: pg.Client;
  /** How long the checks that read the database may take together. */
  budgetMs: number;
  /** `performance.now()` past which no read of the database starts. */
  deadline: number;
  amcheck?: Promise<Amcheck>;
}

/** A table (or materialized view) the heap and read-all checks go through. */
interface UserTable {
  oid: number;
  table: string;
}

/**
 * The size of a relation as stored, with its TOAST table's: what reading it all costs. Measured
 * in the transaction that reads it (it takes the relation's lock), never in the listing, so a
 * table locked by someone else holds up the check on that table only, and is named.
 */
async function storedBytes(client: pg.Client, oid: number): Promise<number> {
  const { rows } = await client.query<{ bytes: string }>(
    `select pg_relation_size(c.oid)
              + coalesce(pg_relation_size(nullif(c.reltoastrelid, 0)), 0) as bytes
       from pg_class c where c.oid = $1::oid`,
    [oid],
  );
  return Number(rows[0]?.bytes ?? 0);
}

const budgetUsedUp = (db: Session) =>
  `the checks' time budget of ${seconds(db.budgetMs)} was used up`;

/** The time a session has left, as a statement timeout: at least 1 ms (0 would mean none). */
const timeLeftMs = (db: Session) => Math.max(1, Math.ceil(db.deadline - performance.now()));

/**
 * Runs `run` in a read-only transaction whose statements time out when the session's budget
 * runs out; it is always rolled back. Nothing run in it can write.
 */
async function readOnly<T>(db: Session, run: () => Promise<T>): Promise<T> {
  if (performance.now() >= db.deadline) throw new Error(`not run: ${budgetUsedUp(db)}`);
  await db.client.query(
    `begin transaction read only; set local statement_timeout = ${timeLeftMs(db)}`,
  );
  try {
    return await run();
  } finally {
    await db.client.query('rollback').catch(() => undefined);
  }
}

/**
 * Goes through `items` one read-only transaction each (so no lock outlives its object), under
 * the session's budget. `check` returns a finding for a broken item, or nothing; an error
 * `isFinding` accepts is a finding too. Any other error stops the walk, naming the item (`what`),
 * since what is left is unverified, not bad.
 */
async function walk<T>(
  db: Session,
  items: readonly T[],
  {
    what,
    check,
    isFinding,
  }: {
    what: (item: T) => string;
    check: (item: T) => Promise<string | undefined>;
    isFinding: (error: unknown) => boolean;
  },
): Promise<{ findings: string[]; done: number; stopped?: string }> {
  const findings: string[] = [];
  let done = 0;
  for (const item of items) {
    if (performance.now() >= db.deadline) {
      return {
        findings,
        done,
        stopped: `${budgetUsedUp(db)} after ${done} of ${items.length}, before ${what(item)}`,
      };
    }
    try {
      const finding = await readOnly(db, () => check(item));
      if (finding) findings.push(finding);
    } catch (error) {
      if (!isFinding(error)) {
        // A statement the server cancelled as the budget ran out: say it was the budget.
        const why =
          sqlState(error) === QUERY_CANCELED && performance.now() >= db.deadline
            ? ` (${budgetUsedUp(db)})`
            : '';
        return {
          findings,
          done,
          stopped: `could not check ${what(item)}: ${errorText(error)}${why}`,
        };
      }
      findings.push(`${what(item)}: ${clip(errorText(error), MAX_ERROR_CHARS)}`);
    }
    done++;
  }
  return { findings, done };
}

/** A walk that ended early and found nothing: an ERROR. One that found something: a FAIL. */
function stoppedWithNothingFound(walked: { findings: string[]; stopped?: string }) {
  if (walked.stopped && !walked.findings.length) throw new Error(walked.stopped);
}

/** Relations of the user's own schemas: not the catalogs, TOAST, or other sessions' temp tables. */
const USER_SCHEMAS = `n.nspname not in ('pg_catalog', 'information_schema')
         and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`;

/**
 * The PostgreSQL checks, run over a real connection with `pg`: connectivity; amcheck on every
 * B-tree index, on every table's heap and TOAST; every table read end to end; row counts, the
 * columns a table must have, data freshness, and custom read-only SQL assertions. Every check
 * runs in read-only transactions with statement timeouts; the only write a drill makes is
 * `create extension amcheck` on its throwaway copy, where amcheck is not installed yet.
 */
export class PostgresVerifier implements DatabaseVerifier {
  private readonly budgetMs: number;

  constructor(options: PostgresVerifierOptions = {}) {
    this.budgetMs = (options.budgetSeconds ?? DEFAULT_BUDGET_SECONDS) * 1000;
  }

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
      const db: Session = {
        client,
        budgetMs: this.budgetMs,
        deadline: performance.now() + this.budgetMs,
      };
      const planned = this.plan(db, checks, recoveryPoint);
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

  private plan(db: Session, checks: Checks, recoveryPoint: Date) {
    const planned: { name: string; run: () => Promise<Outcome> }[] = [];
    const integrity = integrityOf(checks);
    if (integrity?.indexes)
      planned.push({ name: 'integrity', run: () => this.integrity(db, integrity) });
    if (integrity?.heap) planned.push({ name: 'heap', run: () => this.heap(db) });
    if (integrity?.readAll) planned.push({ name: 'read-all', run: () => this.readAll(db) });
    for (const [table, check] of Object.entries(checks.tables)) {
      if (check.columns) {
        const columns = check.columns;
        planned.push({ name: `schema:${table}`, run: () => this.columns(db, table, columns) });
      }
      if (check.minRows !== undefined) {
        const minRows = check.minRows;
        planned.push({ name: `rows:${table}`, run: () => this.minRows(db, table, minRows) });
      }
      if (check.freshness) {
        const freshness = check.freshness;
        planned.push({
          name: `freshness:${table}.${freshness.column}`,
          run: () => this.freshness(db, table, freshness, recoveryPoint),
        });
      }
    }
    for (const assertion of checks.sql) {
      planned.push({
        name: `sql:${assertion.name}`,
        run: () => this.assertion(db.client, assertion, checks.statementTimeoutSeconds),
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

  /** amcheck on the copy, looked at once per verification and shared by the checks using it. */
  private amcheck(db: Session): Promise<Amcheck> {
    db.amcheck ??= this.findAmcheck(db);
    return db.amcheck;
  }

  /**
   * Where amcheck is installed (possibly in a schema outside the search path, e.g.
   * `extensions`), its version, and which of the functions the checks call it has and this
   * session may execute. Where it is not installed yet, installs it: the copy is throwaway. An
   * installation that cannot be made (no extension files, no privilege, a read-only server) is
   * the reason its checks SKIP.
   */
  private async findAmcheck(db: Session): Promise<Amcheck> {
    const installed = () =>
      readOnly(db, async () => {
        const { rows } = await db.client.query<{ oid: number; schema: string; version: string }>(`
          select e.oid::int8 as oid, format('%I', n.nspname) as schema, e.extversion as version
            from pg_extension e join pg_namespace n on n.oid = e.extnamespace
           where e.extname = 'amcheck'`);
        return rows[0];
      });
    let found = await installed();
    if (!found) {
      try {
        await db.client.query(`set statement_timeout = ${timeLeftMs(db)}`);
        await db.client.query('create extension if not exists amcheck');
      } catch (error) {
        if (!AMCHECK_UNAVAILABLE_CODES.has(sqlState(error) ?? '')) throw error;
        const hint =
          typeof error === 'object' && error !== null && 'hint' in error && error.hint
            ? ` (${String(error.hint)})`
            : '';
        return {
          unavailable: `amcheck is not installed on the copy and cannot be: ${errorText(error)}${hint}`,
        };
      } finally {
        await db.client.query('reset statement_timeout').catch(() => undefined);
      }
      found = await installed();
      if (!found) throw new Error('the amcheck extension is not installed');
    }
    const { oid, schema, version } = found;
    const functions = await readOnly(db, async () => {
      const { rows } = await db.client.query<{ name: string; executable: boolean }>(
        `select p.proname as name, bool_or(has_function_privilege(p.oid, 'execute')) as executable
           from pg_depend d join pg_proc p on p.oid = d.objid
          where d.classid = 'pg_proc'::regclass and d.refclassid = 'pg_extension'::regclass
            and d.refobjid = $1::oid and d.deptype = 'e'
            and p.proargnames @> array[
                  case p.proname when 'verify_heapam' then 'check_toast' else 'heapallindexed' end]
          group by p.proname`,
        [oid],
      );
      return new Map(rows.map((r) => [r.name, r.executable]));
    });
    return { schema, version, functions };
  }

  /**
   * The schema-qualified amcheck function a check calls, or, as a SKIP outcome, why it cannot:
   * amcheck is unavailable, its version lacks the function, or this user may not execute it.
   */
  private async amcheckFunction(
    db: Session,
    name: AmcheckFunction,
  ): Promise<{ call: string } | { skip: Outcome }> {
    const amcheck = await this.amcheck(db);
    const skip = (message: string) => ({ skip: { status: 'SKIP' as const, message } });
    if ('unavailable' in amcheck) return skip(`not run: ${amcheck.unavailable}`);
    const executable = amcheck.functions.get(name);
    const { argument, since } = AMCHECK_FUNCTIONS[name];
    if (executable === undefined) {
      return skip(
        `not run: amcheck ${amcheck.version} on the copy has no ${name}(${argument}), added in ${since}; ALTER EXTENSION amcheck UPDATE adds it`,
      );
    }
    if (!executable) {
      const { rows } = await db.client.query<{ user: string }>('select current_user as user');
      return skip(
        `not run: user ${rows[0]?.user ?? '?'} may not execute amcheck's ${name} (grant EXECUTE on it, or connect as the copy's owner)`,
      );
    }
    return { call: `${amcheck.schema}.${name}` };
  }

  /**
   * amcheck's `bt_index_check(heapallindexed => true)` on every valid B-tree index outside the
   * system schemas: each index's structure, and that every heap tuple is in it; with
   * `parentCheck`, `bt_index_parent_check`, which also checks each page against its parent (and
   * takes a ShareLock, blocking writes: fine on a copy). Partitioned indexes have no storage of
   * their own (amcheck refuses them); their partitions' are checked. Only amcheck's corruption
   * errors make an index corrupt; any other error (the connection dropped, say) ends the check
   * as an ERROR naming the index, since the indexes left are unverified, not bad.
   */
  private async integrity(db: Session, options: IntegrityOptions): Promise<Outcome> {
    const fn = await this.amcheckFunction(
      db,
      options.parentCheck ? 'bt_index_parent_check' : 'bt_index_check',
    );
    if ('skip' in fn) return fn.skip;
    const indexes = await readOnly(db, async () => {
      const { rows } = await db.client.query<{
        index: string;
        table: string;
        oid: number;
      }>(`
        select format('%I.%I', n.nspname, ic.relname) as index,
               format('%I.%I', n.nspname, tc.relname) as table,
               ic.oid::int8 as oid
          from pg_index i
          join pg_class ic on ic.oid = i.indexrelid
          join pg_class tc on tc.oid = i.indrelid
          join pg_namespace n on n.oid = ic.relnamespace
          join pg_am am on am.oid = ic.relam
         where am.amname = 'btree' and ic.relkind = 'i' and i.indisvalid and i.indisready
           and ic.relpersistence <> 't' and ${USER_SCHEMAS}
         order by 1`);
      return rows;
    });
    let bytes = 0;
    const walked = await walk(db, indexes, {
      what: ({ index, table }) => `index ${index} on ${table}`,
      check: async ({ oid }) => {
        bytes += await storedBytes(db.client, oid);
        await db.client.query(
          `select ${fn.call}(index => $1::oid::regclass, heapallindexed => true)`,
          [oid],
        );
        return undefined;
      },
      isFinding: isCorruption,
    });
    stoppedWithNothingFound(walked);
    const tables = new Set(indexes.map((i) => i.table)).size;
    const metrics = { indexes: indexes.length, corrupt: walked.findings.length, tables, bytes };
    if (walked.findings.length) {
      const summary = `${walked.findings.length} of ${indexes.length} B-tree indexes are corrupt: `;
      return {
        status: 'FAIL',
        message: failMessage(summary, walked.findings, walked.stopped),
        metrics,
      };
    }
    return {
      status: 'PASS',
      message: `${indexes.length} B-tree indexes on ${tables} tables verified against their heap${options.parentCheck ? ', each page against its parent' : ''}`,
      metrics,
    };
  }

  /**
   * Every table and materialized view of the user's schemas (partitions are tables: their
   * partitioned parents have no storage).
   */
  private userTables(db: Session, populatedOnly: boolean): Promise<UserTable[]> {
    return readOnly(db, async () => {
      const { rows } = await db.client.query<UserTable>(`
        select c.oid::int8 as oid, format('%I.%I', n.nspname, c.relname) as table
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind in ('r', 'm') and c.relpersistence <> 't' and ${USER_SCHEMAS}
           ${populatedOnly ? 'and c.relispopulated' : ''}
         order by 2`);
      return rows;
    });
  }

  /**
   * amcheck's `verify_heapam(check_toast => true)` on every user table: every line pointer and
   * tuple header of its heap (transaction ids within bounds, sane lengths and flags), and every
   * TOAST pointer followed into the TOAST table (each chunk there, in order, of the right size).
   * Any problem it reports, and amcheck's own corruption errors (a page that fails
   * verification), make the table corrupt; any other error ends the check as an ERROR naming it.
   */
  private async heap(db: Session): Promise<Outcome> {
    const fn = await this.amcheckFunction(db, 'verify_heapam');
    if ('skip' in fn) return fn.skip;
    const tables = await this.userTables(db, false);
    let bytes = 0;
    const walked = await walk(db, tables, {
      what: ({ table }) => `table ${table}`,
      check: async ({ oid, table }) => {
        bytes += await storedBytes(db.client, oid);
        const { rows } = await db.client.query<{
          problems: string;
          blkno: string;
          offnum: number;
          attname: string | null;
          msg: string;
        }>(
          // verify_heapam counts attributes from 0, pg_attribute from 1.
          `select count(*) over () as problems, v.blkno, v.offnum, v.msg,
                  (select a.attname from pg_attribute a
                    where a.attrelid = $1::oid and a.attnum = v.attnum + 1) as attname
             from ${fn.call}(relation => $1::oid::regclass, check_toast => true) v
            limit ${MAX_HEAP_PROBLEMS}`,
          [oid],
        );
        if (!rows.length) return undefined;
        const problems = Number(rows[0]?.problems ?? rows.length);
        const quoted = rows.map(
          (r) =>
            `block ${r.blkno}, offset ${r.offnum}${r.attname ? `, column ${r.attname}` : ''}: ${clip(r.msg, MAX_ERROR_CHARS)}`,
        );
        return `table ${table} (${plural(problems, 'problem')}): ${quoted.join(' / ')}`;
      },
      isFinding: isCorruption,
    });
    stoppedWithNothingFound(walked);
    const metrics = { tables: tables.length, bytes, corrupt: walked.findings.length };
    if (walked.findings.length) {
      const summary = `${walked.findings.length} of ${tables.length} tables have corrupt heap or TOAST data: `;
      return {
        status: 'FAIL',
        message: failMessage(summary, walked.findings, walked.stopped),
        metrics,
      };
    }
    return {
      status: 'PASS',
      message: `${plural(tables.length, 'table')} (${sizeOf(bytes)} with TOAST) verified: every tuple header and TOAST pointer`,
      metrics,
    };
  }

  /**
   * Reads every user table end to end, as a restore's first real reader would: each row turned
   * into text, so every page is read and every TOAST value fetched and decompressed
   * (`count(*)` would read neither TOAST nor the values). A read the server fails on the data
   * (an invalid page, a missing TOAST chunk, a commit-log entry it cannot read) makes the table
   * unreadable; any other error ends the check as an ERROR naming it.
   */
  private async readAll(db: Session): Promise<Outcome> {
    const tables = await this.userTables(db, true);
    let rows = 0;
    let bytes = 0;
    const start = performance.now();
    const walked = await walk(db, tables, {
      what: ({ table }) => `table ${table}`,
      check: async ({ oid, table }) => {
        bytes += await storedBytes(db.client, oid);
        // row(r.*), not r: a column named like the alias would win over the whole row.
        const { rows: read } = await db.client.query<{ n: string }>(
          `select count(*) as n, sum(octet_length(row(r.*)::text)) as text_bytes
             from only ${table} as r`,
        );
        rows += Number(read[0]?.n ?? 0);
        return undefined;
      },
      isFinding: isReadFailure,
    });
    stoppedWithNothingFound(walked);
    const seconds = Math.max(performance.now() - start, 1) / 1000;
    const mbPerSecond = Number((bytes / 1e6 / seconds).toFixed(1));
    const metrics = {
      tables: tables.length,
      rows,
      bytes,
      mbPerSecond,
      unreadable: walked.findings.length,
    };
    if (walked.findings.length) {
      const summary = `${walked.findings.length} of ${tables.length} tables could not be read: `;
      return {
        status: 'FAIL',
        message: failMessage(summary, walked.findings, walked.stopped),
        metrics,
      };
    }
    return {
      status: 'PASS',
      message: `${plural(tables.length, 'table')} read end to end, TOAST included: ${plural(rows, 'row')}, ${sizeOf(bytes)} at ${mbPerSecond} MB/s`,
      metrics,
    };
  }

  private async tableExists(db: Session, table: string): Promise<boolean> {
    const { rows } = await db.client.query('select to_regclass($1) is not null as found', [
      quoteName(table),
    ]);
    return rows[0]?.found === true;
  }

  /**
   * The columns a table must have, each of the type the configuration names: compared with
   * `format_type` as PostgreSQL spells it, common aliases accepted (see `typeMatches`). A
   * missing table, a missing column and a column of another type each FAIL, named.
   */
  private columns(db: Session, table: string, expected: Record<string, string>): Promise<Outcome> {
    return readOnly(db, async () => {
      if (!(await this.tableExists(db, table))) {
        return {
          status: 'FAIL' as const,
          message: `table ${table} does not exist in the restored copy`,
        };
      }
      const { rows } = await db.client.query<{ name: string; type: string; schema: string }>(
        `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
                tn.nspname as schema
           from pg_attribute a
           join pg_type t on t.oid = a.atttypid
           join pg_namespace tn on tn.oid = t.typnamespace
          where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped`,
        [quoteName(table)],
      );
      const actual = new Map(rows.map((r) => [r.name, r]));
      const wrong: string[] = [];
      let missing = 0;
      for (const [column, type] of Object.entries(expected)) {
        const found = actual.get(column);
        if (!found) {
          missing++;
          // Names are matched exactly, as quoted identifiers are: say so when only case differs.
          const near = rows.find((r) => r.name.toLowerCase() === column.toLowerCase());
          wrong.push(`missing column ${column}${near ? ` (there is ${near.name})` : ''}`);
        } else if (!typeMatches(type, found.type, found.schema)) {
          wrong.push(`column ${column} is ${found.type}, expected ${type}`);
        }
      }
      const count = Object.keys(expected).length;
      const metrics = { columns: count, missing, mismatched: wrong.length - missing };
      if (wrong.length) {
        return {
          status: 'FAIL' as const,
          message: failMessage(
            `${wrong.length} of ${count} expected columns of ${table} are wrong: `,
            wrong,
          ),
          metrics,
        };
      }
      return {
        status: 'PASS' as const,
        message: count
          ? `${table} has the ${plural(count, 'expected column')}, each of the expected type`
          : `${table} exists (no columns are listed)`,
        metrics,
      };
    });
  }

  private minRows(db: Session, table: string, minRows: number): Promise<Outcome> {
    return readOnly(db, async (): Promise<Outcome> => {
      if (!(await this.tableExists(db, table))) {
        return {
          status: 'FAIL' as const,
          message: `table ${table} does not exist in the restored copy`,
        };
      }
      const { rows } = await db.client.query<{ n: string }>(
        `select count(*) as n from ${quoteName(table)}`,
      );
      const count = Number(rows[0]?.n ?? 0);
      return {
        status: count >= minRows ? ('PASS' as const) : ('FAIL' as const),
        message: `${count} rows in ${table}, at least ${minRows} expected`,
        metrics: { rows: count },
      };
    });
  }

  /**
   * The newest value of a timestamp column, measured against the snapshot's point in time. Values
   * later than the recovery point (past the clock-skew allowance) cannot have been written before
   * the snapshot: they are bogus dates, ignored and counted, or one row dated 2099 would pass
   * the check forever.
   */
  private freshness(
    db: Session,
    table: string,
    freshness: NonNullable<TableCheck['freshness']>,
    recoveryPoint: Date,
  ): Promise<Outcome> {
    return readOnly(db, async (): Promise<Outcome> => {
      if (!(await this.tableExists(db, table))) {
        return {
          status: 'FAIL' as const,
          message: `table ${table} does not exist in the restored copy`,
        };
      }
      const column = quoteName(freshness.column);
      // Compared as timestamptz (timestamp and date columns in the session's time zone, as the
      // cast of max does), with no cast on the column, so an index on it still serves both.
      const { rows } = await db.client.query<{ newest: Date | null; future: string }>(
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
    });
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
