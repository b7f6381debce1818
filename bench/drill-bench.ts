/**
 * Drill cost against the raw PGlite work it is made of. For each source (the demo, and one five
 * times its size) it runs full local drills, then does the same work directly: open the source
 * and dump it uncompressed, as a drill's snapshot is (snapshot), load the dump into a new PGlite
 * and serve it (restore), then over TCP the statements the drill's checks stand for: amcheck on
 * every B-tree index (integrity), verify_heapam and a full read of every table, the row floors,
 * the freshness bound and the SQL assertions. It prints the median of each, and their ratio,
 * with the filesystem of the bench folder and whether it has reflinks (a drill makes no copy of
 * its source, so it uses none either way).
 *
 *   npm run bench:drill [-- --runs 3 --scales 1,5]
 */
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { amcheck } from '@electric-sql/pglite/contrib/amcheck';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import type { Target } from '#core/config.ts';
import { seconds } from '#core/report.ts';
import { demoTarget, ensureDemoSource } from '#local/demo.ts';
import { runLocalDrill } from '#local/run-local.ts';
import { BENCH_DIR, DRILL_SUMMARY, type DrillSummary } from './summary.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, scales: { type: 'string', default: '1,5' } },
});
const runs = Number(values.runs);
const scales = values.scales.split(',').map(Number);

/** The filesystem type as `stat -f` names it, or its magic number where `stat` is missing. */
async function filesystemType(dir: string): Promise<string> {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
  } catch {
    return `0x${(await statfs(dir)).type.toString(16)}`;
  }
}

/** Whether `dir` can clone a file (a reflink), tried as `cp --reflink=always` would. */
async function hasReflinks(dir: string): Promise<boolean> {
  const probe = join(dir, '.reflink-probe');
  try {
    await writeFile(probe, 'probe');
    await copyFile(probe, `${probe}-clone`, constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    return false;
  } finally {
    await rm(probe, { force: true });
    await rm(`${probe}-clone`, { force: true });
  }
}

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await work();
  return [performance.now() - start, result];
}

/** The raw operations a drill is built on, timed one by one. */
async function rawOperations(dataDir: string, scratch: string, checks: Target['checks']) {
  const [dumpMs, tarball] = await time(async () => {
    const db = new PGlite(dataDir);
    await db.waitReady;
    const blob = await db.dumpDataDir('none');
    await writeFile(join(scratch, 'raw.tar'), Buffer.from(await blob.arrayBuffer()));
    await db.close();
    return blob;
  });
  const copyDir = join(scratch, 'raw-copy');
  const [loadMs, copy] = await time(async () => {
    const db = new PGlite(copyDir, { loadDataDir: tarball, extensions: { amcheck } });
    await db.waitReady;
    return db;
  });
  const [serveMs, server] = await time(async () => {
    const s = new PGLiteSocketServer({ db: copy, host: '127.0.0.1', port: 0 });
    await s.start();
    return s;
  });
  const [host, port] = server.getServerConn().split(':');
  const client = new pg.Client({
    host,
    port: Number(port),
    user: 'postgres',
    database: 'postgres',
  });
  await client.connect();
  const [amcheckMs] = await time(async () => {
    await client.query('create extension if not exists amcheck');
    const { rows } = await client.query<{ oid: number }>(
      `select c.oid::int8 as oid from pg_index i join pg_class c on c.oid = i.indexrelid
         join pg_am a on a.oid = c.relam join pg_namespace n on n.oid = c.relnamespace
        where a.amname = 'btree' and n.nspname not in ('pg_catalog', 'information_schema')
          and n.nspname not like 'pg\\_toast%'`,
    );
    for (const { oid } of rows)
      await client.query('select bt_index_check($1::oid::regclass, true)', [oid]);
  });
  // The other checks the drill runs, as plain statements: verify_heapam on every table, every
  // table read end to end, the row floors, the freshness bound and the SQL assertions.
  const [otherChecksMs] = await time(async () => {
    const { rows: tables } = await client.query<{ oid: number; name: string }>(
      `select c.oid::int8 as oid, format('%I.%I', n.nspname, c.relname) as name
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'm') and n.nspname not in ('pg_catalog', 'information_schema')
          and n.nspname not like 'pg\\_toast%'`,
    );
    for (const { oid } of tables)
      await client.query('select * from verify_heapam($1::oid::regclass, check_toast => true)', [
        oid,
      ]);
    for (const { name } of tables)
      await client.query(`select count(*), sum(octet_length(row(r.*)::text)) from ${name} r`);
    for (const [table, check] of Object.entries(checks.tables)) {
      await client.query(`select count(*) from ${table}`);
      if (check.freshness)
        await client.query(`select max(${check.freshness.column}) from ${table}`);
    }
    for (const { query } of checks.sql) await client.query(query);
  });
  await client.end();
  await server.stop();
  await copy.close();
  await rm(copyDir, { recursive: true, force: true });
  return { dumpMs, loadMs, serveMs, amcheckMs, otherChecksMs, sizeBytes: tarball.size };
}

await mkdir(BENCH_DIR, { recursive: true });
const fsType = await filesystemType(BENCH_DIR);
const reflinks = await hasReflinks(BENCH_DIR);
const rows: string[][] = [];
const wholeDrill: DrillSummary['wholeDrill'] = [];
for (const scale of scales) {
  const dataDir = join(BENCH_DIR, `source-x${scale}`);
  const [seedMs, { created }] = await time(() => ensureDemoSource(dataDir, scale));
  if (created) process.stderr.write(`seeded ${dataDir} in ${seconds(seedMs)}\n`);
  const target = { ...demoTarget(dataDir), name: `bench-x${scale}` };

  const drill = {
    snapshot: [] as number[],
    restore: [] as number[],
    integrity: [] as number[],
    verify: [] as number[],
    total: [] as number[],
  };
  const raw = {
    dump: [] as number[],
    loadServe: [] as number[],
    amcheck: [] as number[],
    checks: [] as number[],
  };
  let size = 0;
  let drillSize = 0;
  for (let i = 0; i < runs; i++) {
    const { report } = await runLocalDrill(target, { stateDir: join(BENCH_DIR, 'state') });
    if (report.status !== 'PASS') throw new Error(`bench drill did not pass: ${report.summary}`);
    drill.snapshot.push(report.timings.phases.snapshot ?? Number.NaN);
    drill.restore.push(report.timings.phases.restore ?? Number.NaN);
    drill.verify.push(report.timings.phases.verify ?? Number.NaN);
    drill.integrity.push(report.checks.find((c) => c.name === 'integrity')?.ms ?? Number.NaN);
    drill.total.push(report.timings.totalMs);
    drillSize = report.restoredFrom?.sizeBytes ?? 0;

    const scratch = await mkdtemp(join(tmpdir(), 'restore-drill-bench-'));
    const r = await rawOperations(dataDir, scratch, target.checks);
    await rm(scratch, { recursive: true, force: true });
    raw.dump.push(r.dumpMs);
    raw.loadServe.push(r.loadMs + r.serveMs);
    raw.amcheck.push(r.amcheckMs);
    raw.checks.push(r.amcheckMs + r.otherChecksMs);
    size = r.sizeBytes;
    process.stderr.write(
      `x${scale} run ${i + 1}/${runs}: drill ${seconds(report.timings.totalMs)}\n`,
    );
  }
  const line = (phase: string, d: number[], r: number[] | null) => {
    const dm = median(d);
    const rm_ = r ? median(r) : Number.NaN;
    rows.push([
      `x${scale}`,
      phase,
      seconds(dm),
      r ? seconds(rm_) : '',
      r ? `${(dm / rm_).toFixed(2)}x` : '',
    ]);
  };
  line("snapshot (vs open + dumpDataDir('none'))", drill.snapshot, raw.dump);
  line('restore (vs load + serve)', drill.restore, raw.loadServe);
  line('integrity check (vs amcheck loop)', drill.integrity, raw.amcheck);
  line('all checks (vs the same statements)', drill.verify, raw.checks);
  const rawTotal = raw.dump.map((d, i) => d + (raw.loadServe[i] ?? 0) + (raw.checks[i] ?? 0));
  line('whole drill (vs all the raw ops)', drill.total, rawTotal);
  wholeDrill.push({ scale, drillMs: median(drill.total), rawMs: median(rawTotal) });
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  rows.push([`x${scale}`, `snapshot size ${mib(drillSize)} (raw dump ${mib(size)})`, '', '', '']);
}

const header = ['source', 'phase', `drill (median of ${runs})`, 'raw PGlite', 'ratio'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(fmt(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(fmt(r));
const summary: DrillSummary = { at: new Date().toISOString(), fsType, reflinks, wholeDrill };
await writeFile(DRILL_SUMMARY, JSON.stringify(summary));
console.log(
  `\nbench folder ${BENCH_DIR}: ${fsType}, reflinks ${reflinks ? 'available' : 'not available'}; ` +
    'reflinks used by a drill: none (its snapshot reads the source files, it copies nothing)',
);
