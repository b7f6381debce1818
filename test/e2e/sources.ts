import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { expect } from 'vitest';
import { main } from '#cli/main.ts';

/** A scratch folder for one test file: sources, state and config files. */
export async function scratch(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'restore-drill-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Creates a PGlite source in `dataDir` and runs `sql` in it. */
export async function makeSource(dataDir: string, sql: string): Promise<string> {
  const db = new PGlite(dataDir);
  await db.waitReady;
  await db.exec(sql);
  await db.close();
  return dataDir;
}

/** Small orders table with a timestamp column; `ageHours` is the age of its newest row. */
export const ordersSql = (ageHours = 0) => `
  create table orders (
    id bigint generated always as identity primary key,
    total_cents bigint not null,
    created_at timestamptz not null
  );
  create index orders_created_at_idx on orders (created_at);
  insert into orders (total_cents, created_at)
    select g * 10, now() - interval '${ageHours} hours' - g * interval '1 minute'
      from generate_series(1, 2000) g;`;

/**
 * An index that no longer matches its table: an expression index over an IMMUTABLE function
 * that is redefined afterwards, so the stored keys disagree with what the heap now yields.
 */
export const corruptIndexSql = `
  ${ordersSql()}
  create function shipping_band(bigint) returns bigint language sql immutable as 'select $1 / 100';
  create index orders_shipping_band_idx on orders (shipping_band(total_cents));
  create or replace function shipping_band(bigint) returns bigint language sql immutable as 'select $1 / 7';`;

export async function writeConfig(path: string, config: unknown): Promise<string> {
  await writeFile(path, JSON.stringify(config, null, 2));
  return path;
}

/** Runs the CLI in this process, capturing what it prints. */
export async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Nothing a drill made may remain in `stateDir`: no snapshot, no copy. */
export async function expectNothingLeft(stateDir: string): Promise<void> {
  for (const dir of ['snapshots', 'instances']) {
    const path = join(stateDir, dir);
    expect(existsSync(path) ? await readdir(path) : []).toEqual([]);
  }
}
