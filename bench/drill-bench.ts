/**
 * Drill cost against the raw PGlite work it is made of. For each source (the demo, and one five
 * times its size) it runs full local drills, then does the same work directly: open the source
 * and dump it (snapshot), load the dump into a new PGlite and serve it (restore), and amcheck
 * every B-tree index over TCP (integrity). It prints the median of each, and their ratio.
 *
 *   npm run bench [-- --runs 3 --scales 1,5]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { amcheck } from '@electric-sql/pglite/contrib/amcheck';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { seconds } from '#core/report.ts';
import { demoTarget, ensureDemoSource } from '#local/demo.ts';
import { runLocalDrill } from '#local/run-local.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, scales: { type: 'string', default: '1,5' } },
});
const runs = Number(values.runs);
const scales = values.scales.split(',').map(Number);
const benchDir = resolve('.restore-drill', 'bench');

const median = (xs: number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await work();
  return [performance.now() - start, result];
}

/** The raw operations a drill is built on, timed one by one. */
async function rawOperations(dataDir: string, scratch: string) {
  const [dumpMs, tarball] = await time(async () => {
    const db = new PGlite(dataDir);
    await db.waitReady;
    const blob = await db.dumpDataDir('gzip');
    await writeFile(join(scratch, 'raw.tar.gz'), Buffer.from(await blob.arrayBuffer()));
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
  await client.end();
  await server.stop();
  await copy.close();
  await rm(copyDir, { recursive: true, force: true });
  return { dumpMs, loadMs, serveMs, amcheckMs, sizeBytes: tarball.size };
}

const rows: string[][] = [];
for (const scale of scales) {
  const dataDir = join(benchDir, `source-x${scale}`);
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
  const raw = { dump: [] as number[], loadServe: [] as number[], amcheck: [] as number[] };
  let size = 0;
  for (let i = 0; i < runs; i++) {
    const { report } = await runLocalDrill(target, { stateDir: join(benchDir, 'state') });
    if (report.status !== 'PASS') throw new Error(`bench drill did not pass: ${report.summary}`);
    drill.snapshot.push(report.timings.phases.snapshot ?? Number.NaN);
    drill.restore.push(report.timings.phases.restore ?? Number.NaN);
    drill.verify.push(report.timings.phases.verify ?? Number.NaN);
    drill.integrity.push(report.checks.find((c) => c.name === 'integrity')?.ms ?? Number.NaN);
    drill.total.push(report.timings.totalMs);

    const scratch = await mkdtemp(join(tmpdir(), 'restore-drill-bench-'));
    const r = await rawOperations(dataDir, scratch);
    await rm(scratch, { recursive: true, force: true });
    raw.dump.push(r.dumpMs);
    raw.loadServe.push(r.loadMs + r.serveMs);
    raw.amcheck.push(r.amcheckMs);
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
  line('snapshot (vs open + dumpDataDir)', drill.snapshot, raw.dump);
  line('restore (vs load + serve)', drill.restore, raw.loadServe);
  line('integrity check (vs amcheck loop)', drill.integrity, raw.amcheck);
  line('all checks', drill.verify, null);
  const rawTotal = raw.dump.map((d, i) => d + (raw.loadServe[i] ?? 0) + (raw.amcheck[i] ?? 0));
  line('whole drill (vs the three raw ops)', drill.total, rawTotal);
  rows.push([`x${scale}`, `snapshot size ${(size / 2 ** 20).toFixed(1)} MiB`, '', '', '']);
}

const header = ['source', 'phase', `drill (median of ${runs})`, 'raw PGlite', 'ratio'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
console.log(fmt(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(fmt(r));
