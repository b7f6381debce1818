import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteFleet } from '#adapters/pglite/fleet.ts';
import { targetSchema } from '#core/config.ts';
import { ForeignResourceError } from '#core/errors.ts';
import { DRILL_ID_TAG } from '#core/steps.ts';
import { removeLeftovers, runLocalDrill } from '#local/run-local.ts';
import { expectNothingLeft, makeSource, ordersSql, scratch } from '../e2e/sources.ts';

let work: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  work = await scratch();
});
afterAll(() => work.remove());

/** A pid no process has: above the kernel's pid_max. */
const DEAD_PID = 2 ** 22 + 1;

describe('PgliteFleet', () => {
  it('refuses identifiers that are not RDS-style names, so none can point outside its store', async () => {
    const fleet = new PgliteFleet(work.dir);
    await expect(fleet.deleteCopy('../../etc')).rejects.toBeInstanceOf(ForeignResourceError);
    await expect(fleet.deleteSnapshot('a/b')).rejects.toBeInstanceOf(ForeignResourceError);
  });

  it('reports a snapshot whose source is not a PGlite data directory as failed to start', async () => {
    const fleet = new PgliteFleet(work.dir);
    await expect(
      fleet.prepareRecoveryPoint({
        source: { dataDir: work.dir },
        recoveryPoint: { mode: 'new-snapshot' },
        snapshotId: 'drill-x',
        tags: {},
      }),
    ).rejects.toThrow(/is not a PGlite data directory/);
  });

  it('removes what a drill that died left, and nothing a live drill still holds', async () => {
    const root = join(work.dir, 'store');
    await mkdir(join(root, 'instances', 'drill-dead'), { recursive: true });
    await mkdir(join(root, 'snapshots'), { recursive: true });
    await writeFile(join(root, '.restore-drill-store'), '');
    const record = (id: string, pid: number, tags = { [DRILL_ID_TAG]: id }) =>
      JSON.stringify({ id, pid, tags });
    await writeFile(join(root, 'instances', 'drill-dead.json'), record('drill-dead', DEAD_PID));
    await writeFile(join(root, 'snapshots', 'drill-dead.json'), record('drill-dead', DEAD_PID));
    await writeFile(join(root, 'snapshots', 'drill-dead.tar.gz'), 'x');
    await writeFile(join(root, 'snapshots', 'drill-live.json'), record('drill-live', process.ppid));

    const removed = await removeLeftovers(root);

    expect(removed.sort()).toEqual(['instance drill-dead', 'snapshot drill-dead']);
    expect(existsSync(join(root, 'instances', 'drill-dead'))).toBe(false);
    expect(existsSync(join(root, 'snapshots', 'drill-dead.tar.gz'))).toBe(false);
    expect(existsSync(join(root, 'snapshots', 'drill-live.json'))).toBe(true);
  });

  it('leaves alone what does not carry its own drill tag, or lies outside a marked store', async () => {
    const foreign = JSON.stringify({ id: 'web', pid: DEAD_PID, tags: {} });
    const marked = join(work.dir, 'marked');
    await mkdir(join(marked, 'instances', 'web'), { recursive: true });
    await writeFile(join(marked, '.restore-drill-store'), '');
    await writeFile(join(marked, 'instances', 'web.json'), foreign);
    const unmarked = join(work.dir, 'unmarked');
    await mkdir(join(unmarked, 'instances'), { recursive: true });
    const tagged = JSON.stringify({
      id: 'drill-x',
      pid: DEAD_PID,
      tags: { [DRILL_ID_TAG]: 'drill-x' },
    });
    await writeFile(join(unmarked, 'instances', 'drill-x.json'), tagged);

    expect(await removeLeftovers(marked)).toEqual([]);
    expect(await removeLeftovers(unmarked)).toEqual([]);
    expect(existsSync(join(marked, 'instances', 'web', ''))).toBe(true);
    expect(existsSync(join(unmarked, 'instances', 'drill-x.json'))).toBe(true);
  });

  it('can tear down its own snapshot whose dump failed, tags and all', async () => {
    const fleet = new PgliteFleet(join(work.dir, 'failing'));
    const notPglite = join(work.dir, 'not-pglite');
    await mkdir(notPglite, { recursive: true });
    await writeFile(join(notPglite, 'PG_VERSION'), '18');
    const tags = { [DRILL_ID_TAG]: 'drill-broken' };
    await fleet.prepareRecoveryPoint({
      source: { dataDir: notPglite },
      recoveryPoint: { mode: 'new-snapshot' },
      snapshotId: 'drill-broken',
      tags,
    });
    let info = await fleet.describeSnapshot('drill-broken');
    for (let i = 0; info?.phase === 'pending' && i < 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      info = await fleet.describeSnapshot('drill-broken');
    }
    expect(info).toMatchObject({ phase: 'failed', tags });
    await fleet.deleteSnapshot('drill-broken');
    expect(await fleet.describeSnapshot('drill-broken')).toBeUndefined();
  });

  it('leaves the source data directory exactly as it found it', async () => {
    const source = await makeSource(
      join(work.dir, 'source'),
      'create table t (x int); insert into t values (1);',
    );
    const before = await digest(source);
    const fleet = new PgliteFleet(join(work.dir, 'untouched'));
    await fleet.prepareRecoveryPoint({
      source: { dataDir: source },
      recoveryPoint: { mode: 'new-snapshot' },
      snapshotId: 'drill-s',
      tags: {},
    });
    let info = await fleet.describeSnapshot('drill-s');
    for (let i = 0; info?.phase === 'pending' && i < 600; i++) {
      await new Promise((r) => setTimeout(r, 50));
      info = await fleet.describeSnapshot('drill-s');
    }
    expect(info?.phase).toBe('available');
    expect(await digest(source)).toEqual(before);
    await fleet.releaseAll();
  });
});

describe('a full local drill', () => {
  // The snapshot is read from the source's files; the restore loads it either from the
  // tarball the snapshot just made (in the same process) or from the file it wrote.
  for (const [how, reuseTarballs] of [
    ['handed over in memory', true],
    ['read back from its file', false],
  ] as const) {
    it(`leaves every byte of the source as it was, its tarball ${how}`, async () => {
      const source = await makeSource(join(work.dir, `drilled-${reuseTarballs}`), ordersSql());
      const before = await digest(source);
      expect(Object.keys(before).length).toBeGreaterThan(100);
      const stateDir = join(work.dir, `drill-state-${reuseTarballs}`);
      const target = targetSchema.parse({
        name: 'orders',
        engine: 'postgres',
        source: { dataDir: source },
        checks: { integrity: true, tables: { orders: { minRows: 2000 } } },
      });

      const { report } = await runLocalDrill(target, { stateDir, fleet: { reuseTarballs } });

      expect(report.status, report.summary).toBe('PASS');
      expect(await digest(source)).toEqual(before);
      await expectNothingLeft(stateDir);
    });
  }
});

/** Every file under `dir` with a hash of its content. */
async function digest(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return files;
}
