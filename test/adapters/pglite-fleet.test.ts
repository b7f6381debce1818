import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteFleet } from '#adapters/pglite/fleet.ts';
import { ForeignResourceError } from '#core/errors.ts';
import { removeLeftovers } from '#local/run-local.ts';
import { scratch } from '../e2e/sources.ts';

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
    await expect(fleet.deleteInstance('../../etc')).rejects.toBeInstanceOf(ForeignResourceError);
    await expect(fleet.deleteSnapshot('a/b')).rejects.toBeInstanceOf(ForeignResourceError);
  });

  it('reports a snapshot whose source is not a PGlite data directory as failed to start', async () => {
    const fleet = new PgliteFleet(work.dir);
    await expect(
      fleet.createSnapshot({ source: { dataDir: work.dir }, snapshotId: 'drill-x', tags: {} }),
    ).rejects.toThrow(/is not a PGlite data directory/);
  });

  it('removes what a drill that died left, and nothing a live drill still holds', async () => {
    const root = join(work.dir, 'store');
    await mkdir(join(root, 'instances', 'drill-dead'), { recursive: true });
    await mkdir(join(root, 'snapshots'), { recursive: true });
    const record = (id: string, pid: number) => JSON.stringify({ id, pid, tags: {} });
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
});
