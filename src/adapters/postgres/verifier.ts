import pg from 'pg';
import type { TableCounts } from '#core/baseline.ts';
import {
  type IntegrityOptions,
  integrityOf,
  type SqlAssertion,
  type TableCheck,
  type Target,
} from '#core/config.ts';
import type {
  ConnectionInfo,
  DatabaseVerifier,
  Suggestion,
  Verification,
  VerifyRequest,
} from '#core/ports.ts';
import { seconds, bytes as sizeOf } from '#core/report.ts';
import type { WalkProgress } from '#core/state.ts';
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
import { DEFAULT_FRACTION } from '../suggest-rules.ts';
import {
  mbPerSecond,
  type PlannedCheck,
  runPlan,
  sortable,
  type UnitOutcome,
  type Walked,
  type WalkResult,
  type WorkUnit,
  walkResult,
  walkSessions,
  walkUnits,
} from '../work-units.ts';
import { tableCounts, USER_SCHEMAS } from './catalog.ts';
import { suggestChecks } from './suggest.ts';
import { typeMatches } from './types.ts';

type Checks = Target['checks'];

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * How long past its statement timeout the client waits for a custom assertion before calling it
 * timed out itself. The server normally cancels first; PGlite has no timers and never does.
 */
const STATEMENT_TIMEOUT_GRACE_MS = 1_000;

export interface PostgresVerifierOptions {
  /** The clock a call's budget is measured by, in milliseconds (tests pass a fake one). */
  now?: () => number;
  /** Blocks in each range a large table is walked by, heap and read alike (BLOCKS_PER_UNIT). */
  blocksPerUnit?: number;
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

/** One verification call: its sessions, its deadline, and amcheck once it has been looked at. */
interface Session {
  /** The first session: connectivity, amcheck and the single checks run on it. */
  client: pg.Client;
  /** How long this call may read the database. */
  budgetMs: number;
  /** Past this moment (by `now`), no read of the database starts. */
  deadline: number;
  now: () => number;
  /** The server's version, as a number (`170002`). */
  versionNum: number;
  /** Blocks in each range of a table the heap and read-all walks take as one unit. */
  blocksPerUnit: { heap: number; read: number };
  amcheck?: Promise<Amcheck>;
  /** Every session the walks share, the first included, opened the first time a walk runs. */
  all: () => Promise<pg.Client[]>;
}

/**
 * The ranges of a table's blocks its heap and read-all walks take as one unit, so a large table
 * is shared among sessions and calls and no unit takes long. verify_heapam's: 128 MiB at the
 * default block size (under a tenth of a second). The read's: 1 GiB (a few seconds), larger
 * because a whole-table read gets PostgreSQL's own parallel sequential scan, which a TID range
 * scan never does: a table split for no need is read at half the speed.
 */
const BLOCKS_PER_UNIT = { heap: 16_384, read: 131_072 };

/** The first server version with TID range scans (PostgreSQL 14): a block range read directly. */
const TID_RANGE_SCANS = 140_000;

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

/** A table's heap blocks now, read in the transaction that checks them. */
async function heapBlocks(client: pg.Client, oid: number): Promise<number> {
  const { rows } = await client.query<{ blocks: string }>(
    `select pg_relation_size($1::oid) / current_setting('block_size')::int8 as blocks`,
    [oid],
  );
  return Number(rows[0]?.blocks ?? 0);
}

const budgetUsedUp = (db: Session) =>
  `the checks' time budget of ${seconds(db.budgetMs)} was used up`;

/** The time a session has left, as a statement timeout: at least 1 ms (0 would mean none). */
const timeLeftMs = (db: Session) => Math.max(1, Math.ceil(db.deadline - db.now()));

/**
 * Runs `run` in a read-only transaction on `client` (the first session by default) whose
 * statements time out when the call's budget runs out; it is always rolled back. Nothing run in
 * it can write.
 */
async function readOnly<T>(db: Session, run: () => Promise<T>, client = db.client): Promise<T> {
  if (db.now() >= db.deadline) throw new Error(`not run: ${budgetUsedUp(db)}`);
  await client.query(
    `begin transaction read only; set local statement_timeout = ${timeLeftMs(db)}`,
  );
  try {
    return await run();
  } finally {
    await client.query('rollback').catch(() => undefined);
  }
}

/**
 * A walk over `units` on every session, one read-only transaction per unit (so no lock outlives
 * its object), from where `progress` says an earlier call stopped (see walkUnits).
 */
async function walk<U extends WorkUnit>(
  db: Session,
  units: readonly U[],
  progress: WalkProgress | undefined,
  check: (client: pg.Client, unit: U) => Promise<UnitOutcome>,
  isFinding: (error: unknown) => boolean,
): Promise<Walked> {
  return walkUnits({
    sessions: await db.all(),
    units,
    progress,
    deadline: db.deadline,
    now: db.now,
    check: (client, unit) => readOnly(db, () => check(client, unit), client),
    isFinding,
    maxErrorChars: MAX_ERROR_CHARS,
  });
}

/** A client for the copy, not connected yet. */
function clientFor(connection: ConnectionInfo): pg.Client {
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
  return client;
}

/** What a table walk's units are called: tables, or table ranges where a table has several. */
const tableUnit = (units: readonly unknown[], tables: readonly unknown[]) =>
  units.length === tables.length ? 'table' : 'table range';

/**
 * A table's units, range of blocks by range: `perUnit` blocks each, by the size the catalog
 * last counted, the last range open-ended.
 */
function blockRanges<T extends { oid: number; table: string; pages: number }>(
  table: T,
  perUnit: number,
): (T & WorkUnit & { start: number; end: number | null })[] {
  const count = Math.max(1, Math.ceil(table.pages / perUnit));
  return Array.from({ length: count }, (_, i) => {
    const start = i * perUnit;
    // The last range is open-ended: blocks the catalog's count missed are read all the same.
    const end = i === count - 1 ? null : start + perUnit - 1;
    const blocks = count === 1 ? '' : `, blocks ${start}-${end ?? 'end'}`;
    return {
      ...table,
      start,
      end,
      key: `${sortable(table.oid)}:${sortable(start)}`,
      what: `table ${table.table}${blocks}`,
    };
  });
}

/**
 * The PostgreSQL checks, run over a real connection with `pg`: connectivity; amcheck on every
 * B-tree index, on every table's heap and TOAST; every table read end to end; row counts, the
 * columns a table must have, data freshness, and custom read-only SQL assertions. Every check
 * runs in read-only transactions with statement timeouts; the only write a drill makes is
 * `create extension amcheck` on its throwaway copy, where amcheck is not installed yet.
 */
export class PostgresVerifier implements DatabaseVerifier {
  private readonly now: () => number;
  private readonly blocksPerUnit: { heap: number; read: number };

  constructor(options: PostgresVerifierOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    const blocks = options.blocksPerUnit;
    this.blocksPerUnit = blocks ? { heap: blocks, read: blocks } : BLOCKS_PER_UNIT;
  }

  async verify(request: VerifyRequest): Promise<Verification> {
    const { connection, checks, recoveryPoint, resume } = request;
    const client = clientFor(connection);
    const clients = [client];
    // Ended whatever happens: connectivity can fail after the connection is open (a failing probe).
    try {
      const connectivity = await timed('connectivity', () => this.connectivity(client));
      const db: Session = {
        client,
        budgetMs: request.budgetMs,
        deadline: this.now() + request.budgetMs,
        now: this.now,
        versionNum: Number(connectivity.metrics?.serverVersionNum ?? 0),
        blocksPerUnit: this.blocksPerUnit,
        all: walkSessions(
          request,
          clients,
          () => clientFor(connection),
          (c) => c.connect(),
        ),
      };
      const planned = this.plan(db, checks, recoveryPoint);
      return await runPlan(planned, { connectivity, resume, now: this.now, deadline: db.deadline });
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
  }

  async suggest(connection: ConnectionInfo, recoveryPoint: Date): Promise<Suggestion> {
    const client = clientFor(connection);
    try {
      await client.connect();
      return await suggestChecks(client, { fraction: DEFAULT_FRACTION, now: recoveryPoint });
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async tableCounts(connection: ConnectionInfo): Promise<TableCounts> {
    const client = clientFor(connection);
    try {
      await client.connect();
      return await tableCounts(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private plan(db: Session, checks: Checks, recoveryPoint: Date): PlannedCheck[] {
    const planned: PlannedCheck[] = [];
    const integrity = integrityOf(checks);
    if (integrity?.indexes)
      planned.push({ name: 'integrity', walk: (p) => this.integrity(db, integrity, p) });
    if (integrity?.heap) planned.push({ name: 'heap', walk: (p) => this.heap(db, p) });
    if (integrity?.readAll) planned.push({ name: 'read-all', walk: (p) => this.readAll(db, p) });
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
    const { rows } = await client.query<{ version: string; num: string }>(
      `select current_setting('server_version') as version,
              current_setting('server_version_num') as num`,
    );
    const version = rows[0]?.version ?? 'unknown';
    return {
      status: 'PASS' as const,
      message: `PostgreSQL ${version}, connected in ${Math.round(connectMs)} ms, round trip ${roundTripMs.toFixed(1)} ms`,
      metrics: {
        serverVersion: version,
        serverVersionNum: Number(rows[0]?.num ?? 0),
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
   * as an ERROR naming the index, since the indexes left are unverified, not bad. Each index is
   * a unit of the walk.
   */
  private async integrity(
    db: Session,
    options: IntegrityOptions,
    progress?: WalkProgress,
  ): Promise<WalkResult> {
    const fn = await this.amcheckFunction(
      db,
      options.parentCheck ? 'bt_index_parent_check' : 'bt_index_check',
    );
    if ('skip' in fn) return { outcome: fn.skip };
    const indexes = await readOnly(db, async () => {
      const { rows } = await db.client.query<{ index: string; table: string; oid: number }>(`
        select format('%I.%I', n.nspname, ic.relname) as index,
               format('%I.%I', n.nspname, tc.relname) as table,
               ic.oid::int8 as oid
          from pg_index i
          join pg_class ic on ic.oid = i.indexrelid
          join pg_class tc on tc.oid = i.indrelid
          join pg_namespace n on n.oid = ic.relnamespace
          join pg_am am on am.oid = ic.relam
         where am.amname = 'btree' and ic.relkind = 'i' and i.indisvalid and i.indisready
           and ic.relpersistence <> 't' and ${USER_SCHEMAS}`);
      return rows.map((r) => ({
        ...r,
        key: sortable(Number(r.oid)),
        what: `index ${r.index} on ${r.table}`,
      }));
    });
    const walked = await walk(
      db,
      indexes,
      progress,
      async (client, { oid }) => {
        const bytes = await storedBytes(client, oid);
        await client.query(
          `select ${fn.call}(index => $1::oid::regclass, heapallindexed => true)`,
          [oid],
        );
        return { bytes };
      },
      isCorruption,
    );
    const tables = new Set(indexes.map((i) => i.table)).size;
    const { found, bytes } = walked.progress;
    return walkResult(
      walked,
      indexes.length,
      {
        units: (n) => `${n} B-tree ${n === 1 ? 'index' : 'indexes'}`,
        failed: () => `${found} of ${indexes.length} B-tree indexes are corrupt: `,
        passed: () =>
          `${indexes.length} B-tree indexes on ${tables} tables verified against their heap${options.parentCheck ? ', each page against its parent' : ''}`,
      },
      { indexes: indexes.length, corrupt: found, tables, bytes },
    );
  }

  /**
   * Every table and materialized view of the user's schemas (partitions are tables: their
   * partitioned parents have no storage), with its heap's size in blocks as the catalog last
   * counted it (for splitting it into ranges; each range reads what is really there).
   */
  private userTables(db: Session, populatedOnly: boolean) {
    return readOnly(db, async () => {
      const { rows } = await db.client.query<{ oid: number; table: string; pages: number }>(`
        select c.oid::int8 as oid, format('%I.%I', n.nspname, c.relname) as table,
               greatest(c.relpages, 0) as pages
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where c.relkind in ('r', 'm') and c.relpersistence <> 't' and ${USER_SCHEMAS}
           ${populatedOnly ? 'and c.relispopulated' : ''}`);
      return rows.map((r) => ({ ...r, oid: Number(r.oid), pages: Number(r.pages) }));
    });
  }

  /**
   * amcheck's `verify_heapam(check_toast => true)` on every user table: every line pointer and
   * tuple header of its heap (transaction ids within bounds, sane lengths and flags), and every
   * TOAST pointer followed into the TOAST table (each chunk there, in order, of the right size).
   * Any problem it reports, and amcheck's own corruption errors (a page that fails
   * verification), make the table corrupt; any other error ends the check as an ERROR naming it.
   * A large table is checked range of blocks by range.
   */
  private async heap(db: Session, progress?: WalkProgress): Promise<WalkResult> {
    const fn = await this.amcheckFunction(db, 'verify_heapam');
    if ('skip' in fn) return { outcome: fn.skip };
    const tables = await this.userTables(db, false);
    const units = tables.flatMap((t) => blockRanges(t, db.blocksPerUnit.heap));
    const walked = await walk(
      db,
      units,
      progress,
      async (client, { oid, start, end, what }): Promise<UnitOutcome> => {
        const blocks = await heapBlocks(client, oid);
        // A range past the end of a table the catalog thought larger holds nothing to check.
        if (start > 0 && start >= blocks) return {};
        const bytes = start === 0 ? await storedBytes(client, oid) : 0;
        const { rows } = await client.query<{
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
             from ${fn.call}(relation => $1::oid::regclass, check_toast => true,
                             startblock => $2, endblock => $3) v
            limit ${MAX_HEAP_PROBLEMS}`,
          [oid, start > 0 ? start : null, end === null ? null : Math.min(end, blocks - 1)],
        );
        if (!rows.length) return { bytes };
        const problems = Number(rows[0]?.problems ?? rows.length);
        const quoted = rows.map(
          (r) =>
            `block ${r.blkno}, offset ${r.offnum}${r.attname ? `, column ${r.attname}` : ''}: ${clip(r.msg, MAX_ERROR_CHARS)}`,
        );
        return {
          bytes,
          findings: [`${what} (${plural(problems, 'problem')}): ${quoted.join(' / ')}`],
        };
      },
      isCorruption,
    );
    const { found, bytes } = walked.progress;
    return walkResult(
      walked,
      units.length,
      {
        units: (n) => plural(n, tableUnit(units, tables)),
        failed: () =>
          `${found} of ${plural(units.length, tableUnit(units, tables))} have corrupt heap or TOAST data: `,
        passed: () =>
          `${plural(tables.length, 'table')} (${sizeOf(bytes)} with TOAST) verified: every tuple header and TOAST pointer`,
      },
      { tables: tables.length, bytes, corrupt: found },
    );
  }

  /**
   * Reads every user table end to end, as a restore's first real reader would: each row turned
   * into text, so every page is read and every TOAST value fetched and decompressed
   * (`count(*)` would read neither TOAST nor the values). A read the server fails on the data
   * (an invalid page, a missing TOAST chunk, a commit-log entry it cannot read) makes the table
   * unreadable; any other error ends the check as an ERROR naming it. From PostgreSQL 14, a
   * large table is read range of blocks by range (a TID range scan reads just those blocks).
   */
  private async readAll(db: Session, progress?: WalkProgress): Promise<WalkResult> {
    const tables = await this.userTables(db, true);
    // Before TID range scans, a range would be read by scanning the whole table: one unit each.
    const perUnit = db.versionNum >= TID_RANGE_SCANS ? db.blocksPerUnit.read : Infinity;
    const units = tables.flatMap((t) => blockRanges(t, perUnit));
    const walked = await walk(
      db,
      units,
      progress,
      async (client, { oid, table, start, end }) => {
        const bytes = start === 0 ? await storedBytes(client, oid) : 0;
        const within = [
          start > 0 ? `ctid >= '(${start},0)'::tid` : '',
          end === null ? '' : `ctid < '(${end + 1},0)'::tid`,
        ].filter(Boolean);
        // row(r.*), not r: a column named like the alias would win over the whole row.
        const { rows } = await client.query<{ n: string }>(
          `select count(*) as n, sum(octet_length(row(r.*)::text)) as text_bytes
             from only ${table} as r${within.length ? ` where ${within.join(' and ')}` : ''}`,
        );
        return { bytes, rows: Number(rows[0]?.n ?? 0) };
      },
      isReadFailure,
    );
    const { found, bytes, rows } = walked.progress;
    return walkResult(
      walked,
      units.length,
      {
        units: (n) => plural(n, tableUnit(units, tables)),
        failed: () =>
          `${found} of ${plural(units.length, tableUnit(units, tables))} could not be read: `,
        passed: () =>
          `${plural(tables.length, 'table')} read end to end, TOAST included: ${plural(rows, 'row')}, ${sizeOf(bytes)} at ${mbPerSecond(walked.progress)} MB/s`,
      },
      { tables: tables.length, rows, bytes, unreadable: found },
    );
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
        message: `${plural(count, 'row')} in ${table}, at least ${minRows} expected`,
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
