import { open } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresVerifier } from '#adapters/postgres/verifier.ts';
import type { CheckResult } from '#core/state.ts';
import {
  PG_BIN,
  startThrowawayServer,
  type ThrowawayServer,
  throwawayServerSupport,
} from './throwaway-server.ts';

/** PostgreSQL's page size, and the size of a page header and of a line pointer in it. */
const BLOCK = 8192;
const PAGE_HEADER = 24;
const LINE_POINTER = 4;

/** Writes `bytes` at `offset` of a relation file, in place. */
async function overwrite(file: string, offset: number, bytes: Buffer): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, offset);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** Where item `item` (1-based) of block `block` starts in the file: its line pointer's lp_off. */
async function itemOffset(file: string, block: number, item: number): Promise<number> {
  const pointer = (
    await readAt(file, block * BLOCK + PAGE_HEADER + (item - 1) * LINE_POINTER, 4)
  ).readUInt32LE(0);
  return block * BLOCK + (pointer & 0x7fff);
}

const support = throwawayServerSupport();

if (!support.ok) {
  const notRun = `PostgreSQL damaged-file checks did not run: ${support.reason}`;
  console.warn(notRun);
  describe.skip(notRun, () => {
    it('finds damaged heap, TOAST and pages in a throwaway server of its own', () => undefined);
  });
} else {
  const { runAs } = support;
  describe(`PostgresVerifier on damaged data files (a throwaway server from ${PG_BIN})`, () => {
    let server: ThrowawayServer | undefined;
    let results: CheckResult[] = [];
    const result = (name: string) => {
      const found = results.find((r) => r.name === name);
      if (!found) throw new Error(`no ${name} check in ${JSON.stringify(results)}`);
      return found;
    };

    beforeAll(async () => {
      server = await startThrowawayServer(runAs);
      const admin = new pg.Client({ ...server.connection, connectionTimeoutMillis: 10_000 });
      await admin.connect();
      let files: Record<string, { heap: string; toast: string | null }>;
      try {
        await admin.query(`
          create extension amcheck;
          create table intact (id int primary key, body text not null);
          create table tuples_damaged (id int primary key, note text not null);
          create table page_damaged (id int primary key, note text not null);
          create table toast_damaged (id int primary key, body text not null);
          -- Stored out of line, uncompressed: each body is in TOAST, 4 chunks of it.
          alter table intact alter column body set storage external;
          alter table toast_damaged alter column body set storage external;
          insert into intact select g, repeat(md5(g::text), 200) from generate_series(1, 20) g;
          insert into tuples_damaged select g, 'row ' || g from generate_series(1, 500) g;
          insert into page_damaged select g, 'row ' || g from generate_series(1, 2000) g;
          insert into toast_damaged select g, repeat(md5(g::text), 200) from generate_series(1, 20) g;`);
        const { rows } = await admin.query<{ name: string; heap: string; toast: string | null }>(`
          select relname as name, pg_relation_filepath(oid) as heap,
                 pg_relation_filepath(nullif(reltoastrelid, 0)) as toast
            from pg_class where relname in ('tuples_damaged', 'page_damaged', 'toast_damaged')`);
        files = Object.fromEntries(rows.map((r) => [r.name, r]));
      } finally {
        await admin.end();
      }
      // A clean stop writes every page to its file; nothing is replayed over the damage at start.
      await server.stop();
      const file = (path: string | null | undefined) => {
        if (!path) throw new Error('a relation has no file');
        return join(server?.dataDir ?? '', path);
      };

      // Heap: the first tuple's xmin lies beyond every transaction (its commit hint bits
      // cleared, so a reader has to look it up), and the second line pointer redirects to an
      // item the page does not have.
      const tuples = file(files.tuples_damaged?.heap);
      const first = await itemOffset(tuples, 0, 1);
      await overwrite(tuples, first, Buffer.from([0xf0, 0xff, 0xff, 0xff]));
      const infomask = (await readAt(tuples, first + 20, 2)).readUInt16LE(0);
      await overwrite(tuples, first + 20, Buffer.from([infomask & ~0x0300 & 0xff, infomask >> 8]));
      const redirect = Buffer.alloc(4);
      redirect.writeUInt32LE(999 | (2 << 15)); // lp_off 999, lp_flags LP_REDIRECT, lp_len 0
      await overwrite(tuples, PAGE_HEADER + LINE_POINTER, redirect);

      // An unreadable page: block 2's header says its free space ends before it starts.
      const lowerUpper = Buffer.alloc(4);
      lowerUpper.writeUInt16LE(0xfff0, 0);
      lowerUpper.writeUInt16LE(0x0100, 2);
      await overwrite(file(files.page_damaged?.heap), 2 * BLOCK + 12, lowerUpper);

      // TOAST: the first chunk of the first value says it is chunk 7777, not chunk 0 (after the
      // tuple's 24-byte header: chunk_id, then chunk_seq).
      const toast = file(files.toast_damaged?.toast);
      const chunk = await itemOffset(toast, 0, 1);
      const hoff = (await readAt(toast, chunk + 22, 1)).readUInt8(0);
      const sequence = Buffer.alloc(4);
      sequence.writeInt32LE(7777);
      await overwrite(toast, chunk + hoff + 4, sequence);

      await server.start();
      ({ checks: results } = await new PostgresVerifier().verify({
        connection: server.connection,
        checks: { integrity: true, tables: {}, sql: [], statementTimeoutSeconds: 10 },
        recoveryPoint: new Date(),
        parallel: 2,
        budgetMs: 600_000,
      }));
    }, 60_000);

    afterAll(async () => {
      await server?.remove();
    }, 30_000);

    it('connects to the damaged copy', () => {
      expect(result('connectivity').status).toBe('PASS');
    });

    it('heap FAILs naming each damaged table, with the block, offset and problem', () => {
      const heap = result('heap');
      expect(heap).toMatchObject({
        status: 'FAIL',
        metrics: { tables: 4, corrupt: 3 },
      });
      expect(heap.message).toMatch(/^3 of 4 tables have corrupt heap or TOAST data: /);
      expect(heap.message).toMatch(
        /table public\.tuples_damaged \(2 problems\): block 0, offset 1: xmin 4294967280 [^/]+ \/ block 0, offset 2: line pointer redirection to item at offset 999 exceeds maximum offset \d+/,
      );
      expect(heap.message).toMatch(
        /table public\.page_damaged: invalid page in block 2 of relation base\/\d+\/\d+/,
      );
      expect(heap.message).not.toContain('public.intact');
      expect(heap.message.length).toBeLessThanOrEqual(1_000);
    });

    it('heap FAILs the TOAST damage through check_toast, naming the table and its column', () => {
      expect(result('heap').message).toMatch(
        /table public\.toast_damaged \(\d+ problems?\): block 0, offset 1, column body: toast value \d+ [^;]*chunk 7777/,
      );
    });

    it('read-all FAILs naming each table it cannot read, the unreadable page and TOAST included', () => {
      const readAll = result('read-all');
      expect(readAll).toMatchObject({
        status: 'FAIL',
        metrics: { tables: 4, unreadable: 3 },
      });
      expect(readAll.message).toMatch(/^3 of 4 tables could not be read: /);
      expect(readAll.message).toMatch(
        /table public\.page_damaged: invalid page in block 2 of relation base\/\d+\/\d+/,
      );
      expect(readAll.message).toMatch(
        /table public\.toast_damaged: unexpected chunk number 7777 \(expected 0\) for toast value \d+/,
      );
      expect(readAll.message).toMatch(
        /table public\.tuples_damaged: could not access status of transaction 4294967280/,
      );
      expect(readAll.message).not.toContain('public.intact');
    });

    it('integrity FAILs the index on the unreadable page, and says where it had to stop', () => {
      const integrity = result('integrity');
      expect(integrity.status).toBe('FAIL');
      expect(integrity.message).toMatch(
        /index public\.page_damaged_pkey on public\.page_damaged: invalid page in block 2/,
      );
      // The damaged xmin is no corruption amcheck reports by its SQLSTATEs: an error, which
      // stops the check there, and is said.
      expect(integrity.message).toMatch(
        /; then could not check index public\.tuples_damaged_pkey on public\.tuples_damaged: could not access status of transaction 4294967280/,
      );
    });
  });
}
