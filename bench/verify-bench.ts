/**
 * The verify step's throughput on a real server. On PostgreSQL it runs the project's verifier
 * (integrity, heap and read-all, as a target's defaults have them) over a generated database of
 * a few hundred MB, beside the same amcheck and read statements sent directly with pg one after
 * another; on MariaDB the MySQL verifier's CHECK TABLE MEDIUM and CHECKSUM TABLE EXTENDED
 * beside the same statements sent directly with mysql2. It prints the median of each (3 runs by
 * default), their ratio, and MB/s (and indexes/s).
 *
 * The database, restore_drill_bench on each server, is generated once and kept: a later run
 * reuses it when its tables hold the expected rows, and makes it again otherwise.
 *
 *   npm run bench:verify [-- --runs 3]
 *
 * Servers: RESTORE_DRILL_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) and
 * RESTORE_DRILL_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/). One that cannot be
 * reached is reported as not measured, and the bench goes on.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { MysqlVerifier } from '#adapters/mysql/verifier.ts';
import { PostgresVerifier } from '#adapters/postgres/verifier.ts';
import { type Target, targetSchema } from '#core/config.ts';
import type { ConnectionInfo, DatabaseVerifier } from '#core/ports.ts';
import type { CheckResult } from '#core/state.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Math.max(1, Number(values.runs));
const DATABASE = 'restore_drill_bench';
const CONNECT_TIMEOUT_MS = 5_000;

const PG_URL =
  process.env.RESTORE_DRILL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env.RESTORE_DRILL_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function time(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** An error's message; a refused connection (an AggregateError, no message of its own) its code. */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return error.message || (typeof code === 'string' ? code : error.name);
}
const mb = (bytes: number) => bytes / 1e6;
const perSecond = (amount: number, ms: number) => (ms > 0 ? amount / (ms / 1000) : Number.NaN);

/** The parts of a server URL a connection needs. */
function endpointOf(url: string, defaultPort: number) {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname) || '127.0.0.1',
    port: u.port ? Number(u.port) : defaultPort,
    user: decodeURIComponent(u.username),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.slice(1)),
  };
}

function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(fmt(r));
}

const msText = (ms: number) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;

/** One check's line: project and raw medians, their ratio, and the rates the sizes give. */
interface Line {
  check: string;
  /** The verifier over one session, and over PARALLEL sessions. */
  projectMs: number;
  parallelMs: number;
  rawMs: number;
  bytes: number;
  indexes?: number;
}

function printLines(lines: Line[]) {
  const rows = lines.map((l) => [
    l.check,
    `${mb(l.bytes).toFixed(0)} MB`,
    msText(l.projectMs),
    msText(l.rawMs),
    `${(l.projectMs / l.rawMs).toFixed(2)}x`,
    msText(l.parallelMs),
    `${(l.parallelMs / l.rawMs).toFixed(2)}x`,
    perSecond(mb(l.bytes), l.projectMs).toFixed(0),
    perSecond(mb(l.bytes), l.parallelMs).toFixed(0),
    perSecond(mb(l.bytes), l.rawMs).toFixed(0),
    l.indexes === undefined ? '' : perSecond(l.indexes, l.projectMs).toFixed(1),
    l.indexes === undefined ? '' : perSecond(l.indexes, l.rawMs).toFixed(1),
  ]);
  const total = lines.reduce(
    (t, l) => ({
      projectMs: t.projectMs + l.projectMs,
      parallelMs: t.parallelMs + l.parallelMs,
      rawMs: t.rawMs + l.rawMs,
    }),
    { projectMs: 0, parallelMs: 0, rawMs: 0 },
  );
  rows.push([
    'total',
    '',
    msText(total.projectMs),
    msText(total.rawMs),
    `${(total.projectMs / total.rawMs).toFixed(2)}x`,
    msText(total.parallelMs),
    `${(total.parallelMs / total.rawMs).toFixed(2)}x`,
    '',
    '',
    '',
    '',
    '',
  ]);
  const header = [
    'check',
    'covers',
    'serial',
    'raw',
    'ratio',
    `parallel ${PARALLEL}`,
    'ratio',
    'serial MB/s',
    'parallel MB/s',
    'raw MB/s',
    'serial idx/s',
    'raw idx/s',
  ];
  // Index rates only where a check counts indexes (PostgreSQL's amcheck).
  const columns = lines.some((l) => l.indexes !== undefined) ? header.length : header.length - 2;
  printTable(
    header.slice(0, columns),
    rows.map((r) => r.slice(0, columns)),
  );
}

/** Sessions of the parallel runs: as many as the machine has CPUs, at least 2. */
const PARALLEL = Math.max(2, availableParallelism());

/** One verifier call with a budget that holds every check, over `sessions` sessions. */
async function verifyOnce(
  verifier: DatabaseVerifier,
  connection: ConnectionInfo,
  checks: Target['checks'],
  sessions: number,
) {
  const request = { connection, checks, recoveryPoint: new Date(), parallel: sessions };
  const { checks: results, resume } = await verifier.verify({ ...request, budgetMs: 3_600_000 });
  if (resume) throw new Error('the verifier left checks for another call');
  return results;
}

/** The checks a target gets by default: integrity (and, on PostgreSQL, heap and read-all). */
const defaultChecks = (engine: 'postgres' | 'mariadb') =>
  targetSchema.parse({
    name: 'bench',
    engine,
    ...(engine === 'mariadb' ? { database: DATABASE } : {}),
    source: { instance: 'bench' },
  }).checks;

/** The project's verifier results by check name; a check that did not PASS stops the bench. */
function byName(results: CheckResult[]): Map<string, CheckResult> {
  for (const r of results) {
    if (r.status !== 'PASS') throw new Error(`check ${r.name} is ${r.status}: ${r.message}`);
  }
  return new Map(results.map((r) => [r.name, r]));
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** Rows each generated table holds: ~2M in all, ~300 MB with indexes and TOAST. */
const PG_TABLES = { orders: 1_000_000, events: 980_000, documents: 20_000 } as const;

const PG_SCHEMA = `
  create extension if not exists amcheck;
  create table orders (
    id bigint primary key,
    customer_id int not null,
    created_at timestamptz not null,
    status text not null,
    total numeric(12, 2) not null
  );
  insert into orders
    select n, (n * 7919) % 50000, timestamptz '2026-01-01' + n * interval '13 seconds',
           (array['new', 'paid', 'shipped', 'returned'])[1 + n % 4], (n % 100000) / 100.0
      from generate_series(1::int8, ${PG_TABLES.orders}) n;
  create index orders_customer on orders (customer_id);
  create index orders_created on orders (created_at);

  create table events (
    id bigint primary key,
    order_id bigint not null,
    kind text not null,
    payload text not null
  );
  insert into events
    select n, 1 + (n * 104729) % ${PG_TABLES.orders}, 'kind-' || n % 17, md5(n::text)
      from generate_series(1::int8, ${PG_TABLES.events}) n;
  create index events_order on events (order_id);

  -- ~3.2 KB of hex per row: pglz finds nothing to gain, so it is stored out of line, in TOAST.
  create table documents (
    id bigint primary key,
    title text not null,
    body text not null
  );
  insert into documents
    select n, 'document ' || n,
           (select string_agg(md5(n::text || ':' || i), '') from generate_series(1, 100) i)
      from generate_series(1::int8, ${PG_TABLES.documents}) n;
  create index documents_title on documents (title);
`;

async function pgClient(database: string): Promise<pg.Client> {
  const e = endpointOf(PG_URL, 5432);
  const client = new pg.Client({
    host: e.host,
    port: e.port,
    user: e.user || 'postgres',
    password: e.password,
    database,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Whether the bench database exists with every table at its expected row count. */
async function pgReady(): Promise<boolean> {
  const admin = await pgClient(endpointOf(PG_URL, 5432).database || 'postgres');
  try {
    const { rows } = await admin.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rows.length) return false;
  } finally {
    await admin.end();
  }
  const db = await pgClient(DATABASE);
  try {
    for (const [table, expected] of Object.entries(PG_TABLES)) {
      const found = await db
        .query<{ n: string }>(`select count(*) as n from ${table}`)
        .then((r) => Number(r.rows[0]?.n))
        .catch(() => -1);
      if (found !== expected) return false;
    }
    const { rows } = await db.query("select 1 from pg_extension where extname = 'amcheck'");
    return rows.length > 0;
  } finally {
    await db.end();
  }
}

async function pgGenerate(): Promise<void> {
  const admin = await pgClient(endpointOf(PG_URL, 5432).database || 'postgres');
  try {
    await admin.query(`drop database if exists ${DATABASE} with (force)`);
    await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }
  const db = await pgClient(DATABASE);
  try {
    await db.query(PG_SCHEMA);
    // Hint bits set and statistics taken now, so the first measured run does not write them.
    await db.query('vacuum (freeze, analyze)');
  } finally {
    await db.end();
  }
}

interface PgObjects {
  indexes: { oid: number; bytes: number }[];
  tables: { oid: number; name: string; bytes: number; total: number }[];
}

async function pgObjects(db: pg.Client): Promise<PgObjects> {
  const { rows: indexes } = await db.query<{ oid: string; bytes: string }>(`
    select ic.oid::int8 as oid, pg_total_relation_size(ic.oid) as bytes
      from pg_index i join pg_class ic on ic.oid = i.indexrelid
      join pg_namespace n on n.oid = ic.relnamespace join pg_am am on am.oid = ic.relam
     where am.amname = 'btree' and n.nspname = 'public' order by ic.relname`);
  const { rows: tables } = await db.query<{
    oid: string;
    name: string;
    bytes: string;
    total: string;
  }>(`
    select c.oid::int8 as oid, format('%I.%I', n.nspname, c.relname) as name,
           pg_total_relation_size(c.oid) - pg_indexes_size(c.oid) as bytes,
           pg_total_relation_size(c.oid) as total
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'r' and n.nspname = 'public' order by 2`);
  return {
    indexes: indexes.map((r) => ({ oid: Number(r.oid), bytes: Number(r.bytes) })),
    tables: tables.map((r) => ({
      oid: Number(r.oid),
      name: r.name,
      bytes: Number(r.bytes),
      total: Number(r.total),
    })),
  };
}

/** The statements the checks are made of, sent one after another: ms per check. */
async function pgRaw(db: pg.Client, objects: PgObjects) {
  const integrity = await time(async () => {
    for (const { oid } of objects.indexes) await db.query('select bt_index_check($1, true)', [oid]);
  });
  const heap = await time(async () => {
    for (const { oid } of objects.tables) {
      await db.query('select count(*) from verify_heapam($1, check_toast => true)', [oid]);
    }
  });
  const readAll = await time(async () => {
    for (const { name } of objects.tables) {
      await db.query(`select count(*), sum(octet_length(row(r.*)::text)) from only ${name} r`);
    }
  });
  return { integrity, heap, 'read-all': readAll };
}

async function benchPostgres(): Promise<void> {
  console.log('\n## PostgreSQL');
  // Reachable at all? Said, with the reason, when not.
  const probe = await pgClient(endpointOf(PG_URL, 5432).database || 'postgres');
  const { rows } = await probe.query<{ v: string }>('select current_setting($1) as v', [
    'server_version',
  ]);
  await probe.end();
  console.log(`server: PostgreSQL ${rows[0]?.v}`);

  if (await pgReady()) {
    console.log(`database ${DATABASE}: reused`);
  } else {
    process.stdout.write(`database ${DATABASE}: generating ... `);
    const ms = await time(pgGenerate);
    console.log(`done in ${msText(ms)}`);
  }

  const db = await pgClient(DATABASE);
  try {
    const objects = await pgObjects(db);
    const rowCount = Object.values(PG_TABLES).reduce((a, b) => a + b, 0);
    const totalBytes = objects.tables.reduce((a, t) => a + t.total, 0);
    const indexBytes = objects.indexes.reduce((a, i) => a + i.bytes, 0);
    const tableBytes = objects.tables.reduce((a, t) => a + t.bytes, 0);
    console.log(
      `${objects.tables.length} tables, ${rowCount.toLocaleString('en')} rows, ${objects.indexes.length} B-tree indexes; ` +
        `${mb(totalBytes).toFixed(0)} MB in all (pg_total_relation_size): ` +
        `${mb(tableBytes).toFixed(0)} MB heap+TOAST, ${mb(indexBytes).toFixed(0)} MB indexes`,
    );

    const e = endpointOf(PG_URL, 5432);
    const connection: ConnectionInfo = {
      host: e.host,
      port: e.port,
      database: DATABASE,
      user: e.user || 'postgres',
      password: e.password,
      engine: 'postgres',
    };
    const checks = defaultChecks('postgres');
    const verifier = new PostgresVerifier();
    const names = ['integrity', 'heap', 'read-all'] as const;
    const project: Record<(typeof names)[number], number[]> = {
      integrity: [],
      heap: [],
      'read-all': [],
    };
    const parallel: Record<(typeof names)[number], number[]> = {
      integrity: [],
      heap: [],
      'read-all': [],
    };
    const raw: Record<(typeof names)[number], number[]> = {
      integrity: [],
      heap: [],
      'read-all': [],
    };
    for (let run = 0; run < runs; run++) {
      // Alternated, so neither side always reads from a cache the other warmed.
      const order = run % 2 === 0 ? ['project', 'raw'] : ['raw', 'project'];
      for (const side of order) {
        if (side === 'project') {
          for (const [sessions, into] of [
            [1, project],
            [PARALLEL, parallel],
          ] as const) {
            const results = byName(await verifyOnce(verifier, connection, checks, sessions));
            for (const name of names) {
              const result = results.get(name);
              if (!result) throw new Error(`the verifier ran no ${name} check`);
              into[name].push(result.ms);
            }
          }
        } else {
          const ms = await pgRaw(db, objects);
          for (const name of names) raw[name].push(ms[name]);
        }
      }
    }
    console.log(`median of ${runs} runs each:`);
    printLines(
      names.map((name) => ({
        check: name,
        projectMs: median(project[name]),
        parallelMs: median(parallel[name]),
        rawMs: median(raw[name]),
        bytes: name === 'integrity' ? indexBytes : tableBytes,
        ...(name === 'integrity' ? { indexes: objects.indexes.length } : {}),
      })),
    );
  } finally {
    await db.end();
  }
}

// ---------------------------------------------------------------------------------------------
// MariaDB

/** Rows each generated table holds: ~2M in all, ~300 MB of InnoDB data and indexes. */
const MYSQL_TABLES = { orders: 1_000_000, events: 940_000, documents: 60_000 } as const;

/** 1..n from a recursive CTE of 1000 rows joined with itself (MariaDB recurses 1000 deep). */
const numbers = (n: number) => `
  with recursive d(i) as (select 0 union all select i + 1 from d where i < 999)
  select a.i * 1000 + b.i + 1 as n from d a cross join d b where a.i * 1000 + b.i < ${n}`;

const MYSQL_SCHEMA = [
  `create table orders (
     id bigint primary key,
     customer_id int not null,
     created_at datetime not null,
     status varchar(16) not null,
     total decimal(12, 2) not null,
     key orders_customer (customer_id),
     key orders_created (created_at)
   ) engine = InnoDB`,
  `insert into orders
     select n, (n * 7919) % 50000, timestamp '2026-01-01 00:00:00' + interval n * 13 second,
            elt(1 + n % 4, 'new', 'paid', 'shipped', 'returned'), (n % 100000) / 100.0
       from (${numbers(MYSQL_TABLES.orders)}) s`,
  `create table events (
     id bigint primary key,
     order_id bigint not null,
     kind varchar(16) not null,
     payload varchar(64) not null,
     key events_order (order_id)
   ) engine = InnoDB`,
  `insert into events
     select n, 1 + (n * 104729) % ${MYSQL_TABLES.orders}, concat('kind-', n % 17),
            concat(md5(n), md5(-n))
       from (${numbers(MYSQL_TABLES.events)}) s`,
  `create table documents (
     id bigint primary key,
     title varchar(64) not null,
     body mediumtext not null,
     key documents_title (title)
   ) engine = InnoDB`,
  `insert into documents
     select n, concat('document ', n), repeat(concat(md5(n), md5(n + 1)), 16)
       from (${numbers(MYSQL_TABLES.documents)}) s`,
  'analyze table orders, events, documents',
];

async function mysqlConnection(database?: string) {
  const e = endpointOf(MYSQL_URL, 3306);
  return mysql.createConnection({
    host: e.host,
    port: e.port,
    user: e.user || 'root',
    password: e.password,
    database,
    connectTimeout: CONNECT_TIMEOUT_MS,
    multipleStatements: false,
  });
}

async function mysqlReady(): Promise<boolean> {
  const c = await mysqlConnection();
  try {
    const [schemas] = (await c.query(
      'select 1 from information_schema.schemata where schema_name = ?',
      [DATABASE],
    )) as [unknown[], unknown];
    if (!schemas.length) return false;
    for (const [table, expected] of Object.entries(MYSQL_TABLES)) {
      const found = await c
        .query(`select count(*) as n from \`${DATABASE}\`.\`${table}\``)
        .then(([r]) => Number((r as { n: number }[])[0]?.n))
        .catch(() => -1);
      if (found !== expected) return false;
    }
    return true;
  } finally {
    await c.end();
  }
}

async function mysqlGenerate(): Promise<void> {
  const c = await mysqlConnection();
  try {
    await c.query(`drop database if exists \`${DATABASE}\``);
    await c.query(`create database \`${DATABASE}\``);
    await c.query(`use \`${DATABASE}\``);
    await c.query('set session unique_checks = 0, foreign_key_checks = 0');
    for (const statement of MYSQL_SCHEMA) await c.query(statement);
  } finally {
    await c.end();
  }
}

async function benchMariadb(): Promise<void> {
  console.log('\n## MariaDB');
  const probe = await mysqlConnection();
  const [[about]] = (await probe.query('select version() as v')) as unknown as [{ v: string }[]];
  await probe.end();
  console.log(`server: ${about?.v}`);

  if (await mysqlReady()) {
    console.log(`database ${DATABASE}: reused`);
  } else {
    process.stdout.write(`database ${DATABASE}: generating ... `);
    const ms = await time(mysqlGenerate);
    console.log(`done in ${msText(ms)}`);
  }

  const c = await mysqlConnection(DATABASE);
  try {
    const [sized] = (await c.query(
      `select table_name as name, data_length + index_length as bytes, index_length as idx
         from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE'
        order by table_name`,
      [DATABASE],
    )) as unknown as [{ name: string; bytes: number; idx: number }[]];
    const tables = sized.map((t) => String(t.name));
    const totalBytes = sized.reduce((a, t) => a + Number(t.bytes), 0);
    const indexBytes = sized.reduce((a, t) => a + Number(t.idx), 0);
    const rowCount = Object.values(MYSQL_TABLES).reduce((a, b) => a + b, 0);
    console.log(
      `${tables.length} InnoDB tables, ${rowCount.toLocaleString('en')} rows; ` +
        `${mb(totalBytes).toFixed(0)} MB in all (data_length + index_length), ${mb(indexBytes).toFixed(0)} MB of it secondary indexes`,
    );

    const e = endpointOf(MYSQL_URL, 3306);
    const connection: ConnectionInfo = {
      host: e.host,
      port: e.port,
      database: DATABASE,
      user: e.user || 'root',
      password: e.password,
      engine: 'mariadb',
    };
    const checks = defaultChecks('mariadb');
    const verifier = new MysqlVerifier();
    const project = { integrity: [] as number[], 'read-all': [] as number[] };
    const parallel = { integrity: [] as number[], 'read-all': [] as number[] };
    const raw = { integrity: [] as number[], 'read-all': [] as number[] };
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? ['project', 'raw'] : ['raw', 'project'];
      for (const side of order) {
        if (side === 'project') {
          for (const [sessions, into] of [
            [1, project],
            [PARALLEL, parallel],
          ] as const) {
            const results = byName(await verifyOnce(verifier, connection, checks, sessions));
            const integrity = results.get('integrity');
            const readAll = results.get('integrity:read-all');
            if (!integrity || !readAll)
              throw new Error('the verifier ran no integrity or read-all check');
            into.integrity.push(integrity.ms);
            into['read-all'].push(readAll.ms);
          }
        } else {
          raw.integrity.push(
            await time(async () => {
              for (const t of tables) await c.query(`CHECK TABLE \`${t}\` MEDIUM`);
            }),
          );
          raw['read-all'].push(
            await time(async () => {
              for (const t of tables) await c.query(`CHECKSUM TABLE \`${t}\` EXTENDED`);
            }),
          );
        }
      }
    }
    console.log(`median of ${runs} runs each:`);
    printLines([
      {
        check: 'integrity (CHECK TABLE MEDIUM)',
        projectMs: median(project.integrity),
        parallelMs: median(parallel.integrity),
        rawMs: median(raw.integrity),
        bytes: totalBytes,
      },
      {
        check: 'read-all (CHECKSUM TABLE EXTENDED)',
        projectMs: median(project['read-all']),
        parallelMs: median(parallel['read-all']),
        rawMs: median(raw['read-all']),
        bytes: totalBytes,
      },
    ]);
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------------------------------------

console.log("# Verify throughput: the project's verifier beside the raw statements it runs");
console.log(
  `serial and parallel ${PARALLEL} = the check's own ms as its CheckResult reports it, over one ` +
    `session and over ${PARALLEL} sharing the check's units (indexes, tables, ranges of blocks) ` +
    ' (read-only transactions, statement timeouts, size lookups ' +
    'included); raw = the bare statements sent one after another on one open connection ' +
    '(object lists taken beforehand).',
);
for (const [name, bench] of [
  ['PostgreSQL', benchPostgres],
  ['MariaDB', benchMariadb],
] as const) {
  try {
    await bench();
  } catch (error) {
    console.log(`${name}: not measured: ${errorText(error)}`);
  }
}
