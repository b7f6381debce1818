import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
// A CommonJS package: Node's own ESM loader sees its exports as the default one.
import mysql, { type Connection } from 'mysql2/promise';
import type { TableCounts } from '#core/baseline.ts';
import {
  type Expectation,
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
import { seconds } from '#core/report.ts';
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
  type PlannedCheck,
  runPlan,
  type UnitOutcome,
  type Walked,
  type WalkResult,
  type WorkUnit,
  walkResult,
  walkSessions,
  walkUnits,
} from '../work-units.ts';
import { judgeCheckTable } from './check-table.ts';
import { typeMatches } from './column-types.ts';
import { readStatement } from './read-statement.ts';
// suggest.ts reads the catalog with this module's Session: used only when a suggestion is asked.
import { suggestChecks } from './suggest.ts';

type Checks = Target['checks'];
type Row = Record<string, unknown>;

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * How long past its statement timeout the client waits for an assertion before ending the
 * connection itself: the server normally stops the statement first.
 */
const STATEMENT_TIMEOUT_GRACE_MS = 1_000;

/** Longest text kept of what one table's check or read said. */
const MAX_ERROR_CHARS = 200;

/** Most broken tables a message names (fewer when their errors are long); the rest are counted. */
const MAX_LISTED_TABLES = 10;

/** Tables per CHECK TABLE or CHECKSUM TABLE statement: few round trips, bounded statements. */
const TABLES_PER_STATEMENT = 20;

/**
 * Server errors that say a table's data or index is damaged, whatever the statement: "Incorrect
 * key file" / "Index for table is corrupt" (1034), "Table is marked as crashed" (1194, 1195; 145
 * as MariaDB's handler error), "Index corrupt" (1712), "Table is corrupt" (1877). Any other error
 * (a lost connection, a lock wait) says nothing about the table.
 */
const CORRUPTION_ERRNOS: ReadonlySet<number> = new Set([145, 1034, 1194, 1195, 1712, 1877]);
const CORRUPTION_TEXT = /corrupt|crashed/i;

/** ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: the read-only session refused a write. */
const READ_ONLY_REFUSAL = 1792;

/** The table types holding data of their own: MariaDB's system-versioned tables are base tables too. */
export const BASE_TABLE_TYPES = "('BASE TABLE', 'SYSTEM VERSIONED')";

/** Column types a freshness check can measure. */
export const TEMPORAL_TYPES = new Set(['date', 'datetime', 'timestamp']);

/** `sales.orders` → `` `sales`.`orders` ``: names from the config, quoted, never spliced raw. */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((part) => `\`${part.replaceAll('`', '``')}\``)
    .join('.');
}

/** A table of the config, as MySQL places it: `orders` in the target's database, or `db.orders`. */
function placeOf(table: string, database: string): { schema: string; name: string } {
  const dot = table.indexOf('.');
  return dot === -1
    ? { schema: database, name: table }
    : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

/** A server error's number, where the driver gives one. */
const errnoOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null && 'errno' in error && typeof error.errno === 'number'
    ? error.errno
    : undefined;

/** Whether an error, or a warning's code and text, says the table is damaged. */
const saysCorrupt = (errno: number | undefined, text: string) =>
  (errno !== undefined && CORRUPTION_ERRNOS.has(errno)) || CORRUPTION_TEXT.test(text);

/** `2024-06-01 12:00:00.5` (the session's time zone is UTC) as an instant; `undefined` if none. */
export function parseUtc(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?))?$/.exec(value.trim());
  if (!match) return undefined;
  const date = new Date(`${match[1]}T${match[2] ?? '00:00:00'}Z`);
  // MySQL's zero dates (0000-00-00) are no date at all.
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 ? undefined : date;
}

/** An instant as a MySQL literal in UTC, to microseconds: `2024-06-01 12:05:00.000000`. */
export const mysqlUtc = (date: Date) => `${date.toISOString().slice(0, 23).replace('T', ' ')}000`;

/**
 * MySQL has no boolean type: `select exists (...)` is 1 or 0. Compared with a boolean the config
 * expects, 1 and 0 are true and false.
 */
function asExpected(value: unknown, expect: Expectation): unknown {
  if (typeof expect.equals !== 'boolean') return value;
  if (value === 1 || value === '1') return true;
  if (value === 0 || value === '0') return false;
  return value;
}

/**
 * mysql2 checks the certificate against the host only for a host name (`verifyIdentity`); for
 * an IP address it gives Node no name, and Node then checks the certificate against
 * `localhost`. So an address is checked here, against the certificate the session got.
 */
function checkAddress(connection: Connection, host: string): void {
  const socket = (
    connection as unknown as {
      connection?: { stream?: { getPeerCertificate?: () => PeerCertificate } };
    }
  ).connection?.stream;
  const certificate = socket?.getPeerCertificate?.();
  if (!certificate || !Object.keys(certificate).length) {
    throw new Error(`cannot check the certificate of ${host} against its address`);
  }
  const problem = checkServerIdentity(host, certificate);
  if (problem) throw problem;
}

/** What the server is, as learned when the session opened. */
interface ServerFacts {
  /** `MariaDB 10.11.6`, `MySQL 8.0.36`, `Aurora MySQL 3.05.2 (MySQL 8.0)`. */
  product: string;
  version: string;
  /** The session's TLS cipher, or undefined for a plain connection. */
  cipher?: string;
  /** The variable that bounds a statement's time: MariaDB's in seconds, MySQL's in ms. */
  timeoutVariable?: 'max_statement_time' | 'max_execution_time';
  /** sql_mode has NO_BACKSLASH_ESCAPES: `\` in a string is a character, not an escape. */
  noBackslashEscapes: boolean;
}

/** `10.11.6-MariaDB-1:10.11.6+maria~deb12` → MariaDB 10.11.6; Aurora's `8.0.mysql_aurora.3.05.2`. */
export function productOf(version: string): string {
  const aurora = /^(\d+\.\d+)\.mysql_aurora\.(\S+)$/.exec(version);
  if (aurora) return `Aurora MySQL ${aurora[2]} (MySQL ${aurora[1]})`;
  const number = /^\d+(\.\d+)*/.exec(version)?.[0] ?? version;
  return /mariadb/i.test(version) ? `MariaDB ${number}` : `MySQL ${number}`;
}

/**
 * One session with the copy, read-only from its first statement: `SET SESSION TRANSACTION READ
 * ONLY` before anything else, so that every transaction after it (an autocommitted statement
 * too) refuses writes and DDL. A session the driver lost (the client gave up on a statement the
 * server did not stop) is opened again, the same way, for the next check.
 */
export class Session {
  private connection: Connection | undefined;
  private lost = false;
  facts: ServerFacts | undefined;

  private readonly info: ConnectionInfo;

  constructor(info: ConnectionInfo) {
    this.info = info;
  }

  /** Opens the session and learns what the server is; times the connect and a round trip. */
  async open(): Promise<{ connectMs: number; roundTripMs: number }> {
    const start = performance.now();
    const connection = await this.connect();
    const connectMs = performance.now() - start;
    const probe = performance.now();
    await connection.query('SELECT 1');
    const roundTripMs = performance.now() - probe;
    const [[about]] = (await connection.query(
      'SELECT VERSION() AS version, @@SESSION.sql_mode AS sqlMode',
    )) as unknown as [Row[]];
    const [cipherRows] = (await connection.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) as [
      Row[],
      unknown,
    ];
    const [variables] = (await connection.query(
      "SHOW SESSION VARIABLES WHERE Variable_name IN ('max_statement_time', 'max_execution_time')",
    )) as [Row[], unknown];
    const names = new Set(variables.map((v) => String(v.Variable_name).toLowerCase()));
    const version = String(about?.version ?? 'unknown');
    const cipher = String(cipherRows[0]?.Value ?? '');
    this.facts = {
      product: productOf(version),
      version,
      cipher: cipher || undefined,
      timeoutVariable: names.has('max_statement_time')
        ? 'max_statement_time'
        : names.has('max_execution_time')
          ? 'max_execution_time'
          : undefined,
      noBackslashEscapes: /NO_BACKSLASH_ESCAPES/i.test(String(about?.sqlMode ?? '')),
    };
    return { connectMs, roundTripMs };
  }

  private async connect(): Promise<Connection> {
    const { host, port, database, user, password, ssl } = this.info;
    const connection = await mysql.createConnection({
      host,
      port,
      database,
      user,
      password,
      // verify-full: the certificate against the CA and the host name against the certificate
      // (mysql2 checks the name only when asked to, with verifyIdentity).
      ssl: ssl && {
        ...(ssl.ca ? { ca: ssl.ca } : {}),
        rejectUnauthorized: ssl.rejectUnauthorized,
        verifyIdentity: ssl.rejectUnauthorized,
      },
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Values as the server writes them: dates as text (read here as UTC), big numbers exact.
      dateStrings: true,
      supportBigNumbers: true,
      multipleStatements: false,
    });
    // A dropped connection surfaces as the failing query's error; this keeps it from crashing the process.
    connection.on('error', () => {
      this.lost = true;
    });
    this.connection = connection;
    this.lost = false;
    try {
      if (ssl?.rejectUnauthorized && isIP(host)) checkAddress(connection, host);
      await connection.query('SET SESSION TRANSACTION READ ONLY');
      await connection.query("SET SESSION time_zone = '+00:00'");
    } catch (error) {
      this.close();
      throw error;
    }
    return connection;
  }

  /** The live connection, opened again if the last one was lost. */
  async live(): Promise<Connection> {
    if (this.connection && !this.lost) return this.connection;
    this.close();
    return this.connect();
  }

  async query<R = Row>(sql: string, values?: unknown[]): Promise<R[]> {
    const connection = await this.live();
    try {
      const [rows] = await connection.query(sql, values);
      return rows as R[];
    } catch (error) {
      this.failed(error);
      throw error;
    }
  }

  /** Notes an error that ended the connection: the next statement opens a new session. */
  failed(error: unknown): void {
    if ((error as { fatal?: boolean } | null)?.fatal) this.lost = true;
  }

  /**
   * Runs `work` in a READ ONLY transaction, always rolled back. (CHECK TABLE commits implicitly,
   * as MySQL's administrative statements do: what follows it is still read-only, by the session.)
   */
  async readOnly<T>(work: () => Promise<T>): Promise<T> {
    await this.query('START TRANSACTION READ ONLY');
    try {
      return await work();
    } finally {
      if (!this.lost) await this.query('ROLLBACK').catch(() => undefined);
    }
  }

  /** Gives up on the connection at once: the server ends what it was running when it notices. */
  abandon(): void {
    this.lost = true;
    this.connection?.destroy();
  }

  close(): void {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    if (this.lost) {
      connection.destroy();
      return;
    }
    // A polite QUIT, and the socket closed whatever the server does.
    connection.end().catch(() => undefined);
    setTimeout(() => connection.destroy(), 1_000).unref();
  }
}

/** What the walks of one call share: its sessions (opened when the first walk runs) and deadline. */
interface Walker {
  deadline: number;
  now: () => number;
  sessions: () => Promise<Session[]>;
}

/**
 * A walk over table batches on every session of the call, one READ ONLY transaction per batch,
 * from where `progress` says an earlier call stopped (see walkUnits). CHECK TABLE heeds no
 * statement time limit, so a batch still running a moment past the deadline has its session
 * dropped (the next batch on it opens a new one): the batch counts as cut short.
 */
function walk(
  walker: Walker,
  units: readonly TableBatch[],
  progress: WalkProgress | undefined,
  check: (session: Session, unit: TableBatch) => Promise<UnitOutcome>,
): Promise<Walked> {
  return walker.sessions().then((sessions) =>
    walkUnits({
      sessions,
      units,
      progress,
      deadline: walker.deadline,
      now: walker.now,
      check: async (session, unit) => {
        let timer: NodeJS.Timeout | undefined;
        const dropped = new Promise<never>((_, reject) => {
          const wait = Math.max(0, walker.deadline - walker.now()) + DEADLINE_GRACE_MS;
          timer = setTimeout(() => {
            session.abandon();
            reject(new Error(`${unit.what} was still being checked at the call's deadline`));
          }, wait);
        });
        try {
          return await Promise.race([session.readOnly(() => check(session, unit)), dropped]);
        } finally {
          clearTimeout(timer);
        }
      },
      isFinding: () => false,
      maxErrorChars: MAX_ERROR_CHARS,
    }),
  );
}

/** Tables the walks take together in one unit: few round trips, bounded statements. */
const BYTES_PER_UNIT = 64 * 2 ** 20;

/** A base table of the database, as information_schema sizes it. */
interface BaseTable {
  name: string;
  bytes: number;
}

/** A unit of the CHECK TABLE and CHECKSUM TABLE walks: a few tables, checked in one statement. */
interface TableBatch extends WorkUnit {
  tables: string[];
  bytes: number;
}

/**
 * The tables in name order, in batches of at most `tablesPerBatch` (TABLES_PER_STATEMENT) and,
 * but for a table larger on its own, BYTES_PER_UNIT: each batch keyed by its first table.
 */
function batches(tables: readonly BaseTable[], tablesPerBatch: number): TableBatch[] {
  const made: TableBatch[] = [];
  let open: TableBatch | undefined;
  for (const table of tables) {
    if (
      !open ||
      open.tables.length >= tablesPerBatch ||
      open.bytes + table.bytes > BYTES_PER_UNIT
    ) {
      open = { key: table.name, what: '', tables: [], bytes: 0 };
      made.push(open);
    }
    open.tables.push(table.name);
    open.bytes += table.bytes;
  }
  for (const batch of made) {
    batch.what =
      batch.tables.length === 1
        ? `table ${batch.tables[0]}`
        : `tables ${batch.tables[0]} to ${batch.tables.at(-1)}`;
  }
  return made;
}

/** How long past a call's deadline a unit's statement may go on before its session is dropped. */
const DEADLINE_GRACE_MS = 1_000;

export interface MysqlVerifierOptions {
  /** The clock a call's budget is measured by, in milliseconds (tests pass a fake one). */
  now?: () => number;
  /** Most tables in each batch the CHECK TABLE and full-read walks take (TABLES_PER_STATEMENT). */
  tablesPerUnit?: number;
}

/**
 * The checks of a MySQL-family copy (MySQL, MariaDB, Aurora MySQL), over a real connection with
 * mysql2: connectivity, CHECK TABLE on every table, every table read end to end, row counts,
 * data freshness, columns and their types, and custom SQL assertions that can only read.
 */
export class MysqlVerifier implements DatabaseVerifier {
  private readonly now: () => number;
  private readonly tablesPerUnit: number;

  constructor(options: MysqlVerifierOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.tablesPerUnit = Math.max(1, Math.floor(options.tablesPerUnit ?? TABLES_PER_STATEMENT));
  }

  async verify(request: VerifyRequest): Promise<Verification> {
    const { connection, checks, recoveryPoint, resume } = request;
    const session = new Session(connection);
    const sessions = [session];
    const deadline = this.now() + request.budgetMs;
    const walker: Walker = {
      deadline,
      now: this.now,
      sessions: walkSessions(
        request,
        sessions,
        () => new Session(connection),
        (s) => s.live(),
      ),
    };
    try {
      const connectivity = await timed('connectivity', () => this.connectivity(session));
      const planned = this.plan(session, walker, checks, connection.database, recoveryPoint);
      return await runPlan(planned, { connectivity, resume, now: this.now, deadline });
    } finally {
      for (const s of sessions) s.close();
    }
  }

  async suggest(connection: ConnectionInfo, recoveryPoint: Date): Promise<Suggestion> {
    const session = new Session(connection);
    try {
      await session.open();
      return await suggestChecks(session, { fraction: DEFAULT_FRACTION, now: recoveryPoint });
    } finally {
      session.close();
    }
  }

  /** Every base table of the database, with the rows information_schema estimates. */
  async tableCounts(connection: ConnectionInfo): Promise<TableCounts> {
    const session = new Session(connection);
    try {
      await session.open();
      const rows = await session.readOnly(() =>
        session.query<{ name: string; estimate: unknown }>(
          `SELECT table_name AS name, table_rows AS estimate FROM information_schema.tables
            WHERE table_schema = DATABASE() AND table_type IN ${BASE_TABLE_TYPES}
            ORDER BY table_name`,
        ),
      );
      return Object.fromEntries(
        rows.map((r) => [r.name, r.estimate === null ? null : Number(r.estimate)]),
      );
    } finally {
      session.close();
    }
  }

  private plan(
    session: Session,
    walker: Walker,
    checks: Checks,
    database: string,
    recoveryPoint: Date,
  ): PlannedCheck[] {
    const planned: PlannedCheck[] = [];
    const single = (name: string, run: (s: Session) => Promise<Outcome>) =>
      planned.push({ name, run: () => session.readOnly(() => run(session)) });
    const integrity = integrityOf(checks);
    if (integrity) {
      planned.push({
        name: 'integrity',
        walk: (p) => this.checkTables(session, walker, integrity, p),
      });
      // After CHECK TABLE: opening a crashed MyISAM or Aria table may repair it (MariaDB's
      // default *_recover_options), which would hide what CHECK TABLE has to say first.
      if (integrity.readAll)
        planned.push({
          name: 'integrity:read-all',
          walk: (p) => this.readAll(session, walker, p),
        });
    }
    for (const [table, check] of Object.entries(checks.tables)) {
      const place = placeOf(table, database);
      if (check.minRows !== undefined) {
        const minRows = check.minRows;
        single(`rows:${table}`, (s) => this.minRows(s, table, place, minRows));
      }
      if (check.freshness) {
        const freshness = check.freshness;
        single(`freshness:${table}.${freshness.column}`, (s) =>
          this.freshness(s, table, place, freshness, recoveryPoint),
        );
      }
      if (check.columns) {
        const columns = check.columns;
        single(`schema:${table}`, (s) => this.columns(s, table, place, columns));
      }
    }
    for (const assertion of checks.sql) {
      single(`sql:${assertion.name}`, (s) =>
        this.assertion(s, assertion, checks.statementTimeoutSeconds),
      );
    }
    return planned;
  }

  private async connectivity(session: Session): Promise<Outcome> {
    const { connectMs, roundTripMs } = await session.open();
    const facts = session.facts as ServerFacts;
    const tls = facts.cipher ? `TLS (${facts.cipher})` : 'no TLS';
    return {
      status: 'PASS',
      message: `${facts.product}, ${tls}, connected in ${Math.round(connectMs)} ms, round trip ${roundTripMs.toFixed(1)} ms`,
      metrics: {
        serverVersion: facts.version,
        tls: facts.cipher ?? 'none',
        connectMs: Math.round(connectMs),
        roundTripMs: Number(roundTripMs.toFixed(2)),
      },
    };
  }

  /**
   * The tables holding data in the session's database (views and sequences have none), in name
   * order, each with its size as information_schema estimates it.
   */
  private async baseTables(session: Session): Promise<{ database: string; tables: BaseTable[] }> {
    const [current] = await session.query<{ db: string | null }>('SELECT DATABASE() AS db');
    const database = current?.db;
    if (!database) throw new Error('the session has no database to check');
    const rows = await session.query<{ name: string; bytes: unknown }>(
      `SELECT table_name AS name, COALESCE(data_length, 0) + COALESCE(index_length, 0) AS bytes
         FROM information_schema.tables
        WHERE table_schema = ? AND table_type IN ${BASE_TABLE_TYPES}`,
      [database],
    );
    const tables = rows.map((r) => ({ name: String(r.name), bytes: Number(r.bytes) || 0 }));
    return {
      database,
      tables: tables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    };
  }

  /**
   * CHECK TABLE, in the configured mode, on every base table of the database, a batch of tables
   * per statement, the batches shared among the call's sessions; each table judged by what
   * CHECK TABLE says of it (see judgeCheckTable). A statement that fails as a whole ends the
   * check as an ERROR: the tables are unverified, not bad.
   */
  private async checkTables(
    session: Session,
    walker: Walker,
    integrity: IntegrityOptions,
    progress?: WalkProgress,
  ): Promise<WalkResult> {
    const { database, tables } = await session.readOnly(() => this.baseTables(session));
    const units = batches(tables, this.tablesPerUnit);
    const mode = integrity.checkTable.toUpperCase();
    const walked = await walk(walker, units, progress, async (s, batch) => {
      const list = batch.tables.map((t) => quoteName(`${database}.${t}`)).join(', ');
      const rows = await s.query(`CHECK TABLE ${list} ${mode}`);
      const verdicts = judgeCheckTable(
        batch.tables.map((t) => `${database}.${t}`),
        rows as unknown as Parameters<typeof judgeCheckTable>[1],
      );
      const unanswered = verdicts.filter((v) => v.state === 'unanswered');
      if (unanswered.length) {
        throw new Error(
          `CHECK TABLE said nothing about ${listWithin(
            unanswered.map((v) => v.table),
            MAX_LISTED_TABLES,
            MAX_MESSAGE_CHARS / 2,
          )}`,
        );
      }
      const unsupported = verdicts.filter((v) => v.state === 'unsupported');
      const warned = verdicts.filter((v) => v.state === 'ok' && v.warnings.length);
      return {
        bytes: batch.bytes,
        findings: verdicts
          .filter((v) => v.state === 'broken')
          .map((v) => `table ${v.table}: ${clip(v.problems.join('; '), MAX_ERROR_CHARS)}`),
        notes: [
          ...unsupported.map((v) => `${v.table} (its engine cannot be checked)`),
          ...warned.map((v) => `${v.table}: ${clip(v.warnings.join(', '), MAX_ERROR_CHARS)}`),
        ],
        tally: { notCheckable: unsupported.length, warnings: warned.length },
      };
    });
    const { found, notes, tally, bytes } = walked.progress;
    const notCheckable = tally.notCheckable ?? 0;
    const aside = notes.length
      ? `; ${listWithin(notes, 5, 400, notCheckable + (tally.warnings ?? 0))}`
      : '';
    return walkResult(
      walked,
      tables.length,
      {
        units: (n) => plural(n, 'table'),
        failed: () =>
          `${found} of ${plural(tables.length, 'table')} corrupt (CHECK TABLE ${mode}): `,
        passed: () =>
          `CHECK TABLE ${mode}: ${plural(tables.length - notCheckable, 'table')} of ${database} OK${aside}`,
      },
      { tables: tables.length, corrupt: found, warnings: tally.warnings ?? 0, notCheckable, bytes },
    );
  }

  /**
   * Every base table read end to end with `CHECKSUM TABLE ... EXTENDED`: row by row, every
   * column (BLOB and TEXT values stored off-page too), where `SELECT COUNT(*)` may read only an
   * index and a table's live checksum (MyISAM's CHECKSUM=1) reads nothing. A table that cannot
   * be read has a NULL checksum and says why in its warnings, or fails the statement: it is read
   * again alone to know which it was. Damage FAILs naming the table; any other reason not to
   * read it is an ERROR.
   */
  private async readAll(
    session: Session,
    walker: Walker,
    progress?: WalkProgress,
  ): Promise<WalkResult> {
    const { database, tables } = await session.readOnly(() => this.baseTables(session));
    const units = batches(tables, this.tablesPerUnit);
    const walked = await walk(walker, units, progress, async (s, batch) => {
      let again = batch.tables;
      if (batch.tables.length > 1) {
        try {
          const rows = await s.query<{ Checksum: unknown }>(
            `CHECKSUM TABLE ${batch.tables.map((t) => quoteName(`${database}.${t}`)).join(', ')} EXTENDED`,
          );
          again = batch.tables.filter(
            (_, j) => rows[j]?.Checksum === null || rows[j] === undefined,
          );
        } catch {
          // Which table failed it is learned one by one, below.
        }
      }
      const findings: string[] = [];
      for (const table of again) {
        const problem = await this.readOne(s, `${database}.${table}`);
        if (problem) findings.push(problem);
      }
      return { bytes: batch.bytes, findings };
    });
    const { found } = walked.progress;
    return walkResult(
      walked,
      tables.length,
      {
        units: (n) => plural(n, 'table'),
        failed: () => `${found} of ${plural(tables.length, 'table')} cannot be read: `,
        passed: () =>
          `${plural(tables.length, 'table')} of ${database} read end to end (CHECKSUM TABLE EXTENDED)`,
      },
      { tables: tables.length, unreadable: found, bytes: walked.progress.bytes },
    );
  }

  /** One table's full read: undefined if it reads, what damage it shows if not; else throws. */
  private async readOne(session: Session, table: string): Promise<string | undefined> {
    let checksum: unknown;
    try {
      const [row] = await session.query<{ Checksum: unknown }>(
        `CHECKSUM TABLE ${quoteName(table)} EXTENDED`,
      );
      checksum = row?.Checksum;
    } catch (error) {
      if (saysCorrupt(errnoOf(error), errorText(error))) {
        return `table ${table}: ${clip(errorText(error), MAX_ERROR_CHARS)}`;
      }
      throw new Error(`could not read table ${table}: ${errorText(error)}`, { cause: error });
    }
    if (checksum !== null && checksum !== undefined) return undefined;
    const warnings = await session.query<{ Level: string; Code: number; Message: string }>(
      'SHOW WARNINGS',
    );
    // MariaDB tries to repair a crashed MyISAM or Aria table as it opens it; the read-only
    // session refuses that (1792), which says nothing more about the table.
    const said = warnings.filter(
      (w) => String(w.Level).toLowerCase() !== 'note' && Number(w.Code) !== READ_ONLY_REFUSAL,
    );
    const text = (said.length ? said : warnings).map((w) => w.Message).join('; ');
    if (warnings.some((w) => saysCorrupt(Number(w.Code), String(w.Message)))) {
      return `table ${table}: ${clip(text, MAX_ERROR_CHARS)}`;
    }
    throw new Error(`could not read table ${table}: ${text || 'no checksum and no reason given'}`);
  }

  private async tableExists(session: Session, place: { schema: string; name: string }) {
    const rows = await session.query(
      'SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?',
      [place.schema, place.name],
    );
    return rows.length > 0;
  }

  private missing(table: string): Outcome {
    return { status: 'FAIL', message: `table ${table} does not exist in the restored copy` };
  }

  private async minRows(
    session: Session,
    table: string,
    place: { schema: string; name: string },
    minRows: number,
  ): Promise<Outcome> {
    if (!(await this.tableExists(session, place))) return this.missing(table);
    const [row] = await session.query<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM ${quoteName(`${place.schema}.${place.name}`)}`,
    );
    const count = Number(row?.n ?? 0);
    return {
      status: count >= minRows ? 'PASS' : 'FAIL',
      message: `${plural(count, 'row')} in ${table}, at least ${minRows} expected`,
      metrics: { rows: count },
    };
  }

  /**
   * The newest value of a DATE, DATETIME or TIMESTAMP column, measured against the snapshot's
   * point in time; the session runs in UTC, so TIMESTAMP values are compared as instants and
   * DATETIME values are taken as UTC. As with PostgreSQL, values later than the recovery point
   * (past the clock-skew allowance) are bogus dates: ignored, and counted.
   */
  private async freshness(
    session: Session,
    table: string,
    place: { schema: string; name: string },
    freshness: NonNullable<TableCheck['freshness']>,
    recoveryPoint: Date,
  ): Promise<Outcome> {
    if (!(await this.tableExists(session, place))) return this.missing(table);
    const [column] = await session.query<{ type: string }>(
      `SELECT data_type AS type FROM information_schema.columns
        WHERE table_schema = ? AND table_name = ? AND column_name = ?`,
      [place.schema, place.name, freshness.column],
    );
    if (!column) throw new Error(`column ${freshness.column} does not exist in table ${table}`);
    const type = String(column.type).toLowerCase();
    if (!TEMPORAL_TYPES.has(type)) {
      throw new Error(`${table}.${freshness.column} is ${type}, not a date or time column`);
    }
    const name = quoteName(freshness.column);
    const from = quoteName(`${place.schema}.${place.name}`);
    const limit = mysqlUtc(new Date(recoveryPoint.getTime() + CLOCK_SKEW_MS));
    // No function on the column, so an index on it serves both.
    const [row] = await session.query<{ newest: unknown; future: unknown }>(
      `SELECT (SELECT MAX(${name}) FROM ${from} WHERE ${name} <= ?) AS newest,
              (SELECT COUNT(*) FROM ${from} WHERE ${name} > ?) AS future`,
      [limit, limit],
    );
    const newest = parseUtc(row?.newest);
    const futureRows = Number(row?.future ?? 0);
    const ignoring = futureRows
      ? ` (ignoring ${plural(futureRows, 'row')} dated more than ${CLOCK_SKEW_MS / 60_000} min after the recovery point)`
      : '';
    if (!newest) {
      return {
        status: 'FAIL',
        message: `${table}.${freshness.column} has no values${futureRows ? ' at or before the recovery point' : ''}${ignoring}`,
        metrics: { futureRows },
      };
    }
    const aheadMs = newest.getTime() - recoveryPoint.getTime();
    const lagMs = Math.max(0, -aheadMs);
    const limitMs = freshness.maxAgeMinutes * 60_000;
    const lag =
      aheadMs > 0
        ? `${seconds(aheadMs)} after the recovery point, within the clock-skew allowance`
        : `${seconds(lagMs)} before the recovery point`;
    return {
      status: lagMs <= limitMs ? 'PASS' : 'FAIL',
      message: `newest ${freshness.column} is ${newest.toISOString()}, ${lag} (limit ${freshness.maxAgeMinutes} min)${ignoring}`,
      metrics: { newestAt: newest.toISOString(), lagMs, futureRows },
    };
  }

  /** The table has each expected column, of the expected type (see typeMatches). */
  private async columns(
    session: Session,
    table: string,
    place: { schema: string; name: string },
    expected: Record<string, string>,
  ): Promise<Outcome> {
    if (!(await this.tableExists(session, place))) return this.missing(table);
    const rows = await session.query<{ name: string; columnType: string; dataType: string }>(
      `SELECT column_name AS name, column_type AS columnType, data_type AS dataType
         FROM information_schema.columns WHERE table_schema = ? AND table_name = ?`,
      [place.schema, place.name],
    );
    // MySQL's column names are not case-sensitive.
    const actual = new Map(rows.map((r) => [String(r.name).toLowerCase(), r]));
    const wrong: string[] = [];
    for (const [column, type] of Object.entries(expected)) {
      const found = actual.get(column.toLowerCase());
      if (!found) wrong.push(`${column} is missing (expected ${type})`);
      else if (!typeMatches(type, found))
        wrong.push(`${column} is ${String(found.columnType)}, expected ${type}`);
    }
    const count = Object.keys(expected).length;
    if (wrong.length) {
      const summary = `${wrong.length} of ${plural(count, 'column')} of ${table} not as expected: `;
      return {
        status: 'FAIL',
        message: summary + listWithin(wrong, MAX_LISTED_TABLES, MAX_MESSAGE_CHARS - summary.length),
        metrics: { columns: count, wrong: wrong.length },
      };
    }
    return {
      status: 'PASS',
      message: `${table} has the ${plural(count, 'expected column')}, each of its type`,
      metrics: { columns: count, wrong: 0 },
    };
  }

  /**
   * A custom assertion: refused before it is sent unless it is one read statement (see
   * readStatement), then run in the session's READ ONLY transaction with the server's own
   * statement limit set from statementTimeoutSeconds (MariaDB's max_statement_time, MySQL's
   * max_execution_time), and rolled back. A statement that took the whole limit is an ERROR
   * even if it returned (MySQL's SLEEP() returns 1 when cut short, MariaDB's BENCHMARK() 0);
   * the client gives up on one the server did not stop, and opens a new session.
   */
  private async assertion(
    session: Session,
    assertion: SqlAssertion,
    timeoutSeconds: number,
  ): Promise<Outcome> {
    const facts = session.facts as ServerFacts;
    const statement = readStatement(assertion.query, {
      backslashEscapes: !facts.noBackslashEscapes,
    });
    if (!statement.ok) {
      throw new Error(
        `refused, not sent: ${statement.reason}; an assertion is a single read statement (SELECT, WITH ... SELECT, TABLE, VALUES)`,
      );
    }
    const timeoutMs = Math.max(1, Math.round(timeoutSeconds * 1000));
    const limit =
      facts.timeoutVariable === 'max_statement_time'
        ? `SET SESSION max_statement_time = ${timeoutMs / 1000}`
        : facts.timeoutVariable === 'max_execution_time'
          ? `SET SESSION max_execution_time = ${timeoutMs}`
          : undefined;
    const unlimited = limit && `SET SESSION ${facts.timeoutVariable} = 0`;
    if (limit) await session.query(limit);
    try {
      const connection = await session.live();
      const start = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const overran = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          session.abandon();
          reject(
            new Error(
              `query ran past the statement timeout of ${timeoutSeconds} s and the server did not stop it`,
            ),
          );
        }, timeoutMs + STATEMENT_TIMEOUT_GRACE_MS);
      });
      let rows: unknown[][];
      try {
        [rows] = (await Promise.race([
          connection.query({ sql: statement.sql, rowsAsArray: true }),
          overran,
        ])) as unknown as [unknown[][]];
      } catch (error) {
        session.failed(error);
        const timedOut = /max_statement_time|maximum statement execution time/i.test(
          errorText(error),
        );
        throw timedOut
          ? new Error(
              `query ran past the statement timeout of ${timeoutSeconds} s: ${errorText(error)}`,
              {
                cause: error,
              },
            )
          : error;
      } finally {
        clearTimeout(timer);
      }
      if (performance.now() - start >= timeoutMs) {
        throw new Error(
          `query ran for the whole statement timeout of ${timeoutSeconds} s (the server cut it short)`,
        );
      }
      const value = asExpected(Array.isArray(rows) ? rows[0]?.[0] : undefined, assertion.expect);
      const { ok, message } = judge(value, assertion.expect);
      return { status: ok ? 'PASS' : 'FAIL', message };
    } finally {
      if (unlimited) await session.query(unlimited).catch(() => undefined);
    }
  }
}
