import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { amcheck } from '@electric-sql/pglite/contrib/amcheck';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { ForeignResourceError, RestoreFailedError, SnapshotFailedError } from '#core/errors.ts';
import type {
  ConnectionInfo,
  DatabaseFleet,
  InstanceInfo,
  SnapshotInfo,
  Tags,
} from '#core/ports.ts';

/** What the store keeps beside each snapshot tarball and each restored copy's files. */
interface SnapshotRecord {
  id: string;
  source: string;
  engine: 'postgres';
  createdAt: string;
  sizeBytes: number;
  tags: Tags;
  pid: number;
}

interface InstanceRecord {
  id: string;
  snapshotId: string;
  tags: Tags;
  /** The process serving the copy: a copy whose process is gone is stale, and deletable. */
  pid: number;
  endpoint?: { host: string; port: number };
}

interface RunningCopy {
  record: InstanceRecord;
  ready: Promise<void>;
  failure?: Error;
  db?: PGlite;
  server?: PGLiteSocketServer;
}

/** Identifiers become file names: hold them to RDS rules, which also rules out path tricks. */
const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function checkId(id: string): string {
  if (!ID.test(id) || id.length > 255)
    throw new ForeignResourceError(`invalid resource identifier "${id}"`);
  return id;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * A fleet of embedded PostgreSQL (PGlite) databases on this machine. A source is a PGlite data
 * directory; a snapshot is a gzipped tarball of it (`dumpDataDir`); a restored copy is a new
 * PGlite loaded from that tarball into its own directory and served over TCP on 127.0.0.1,
 * so checks reach it with `pg` exactly as they reach RDS. Snapshots and restores run in the
 * background, like their RDS counterparts: describe calls report `pending` until they finish.
 */
export class PgliteFleet implements DatabaseFleet {
  readonly root: string;
  private readonly snapshots = new Map<string, Promise<void> & { failure?: Error }>();
  private readonly copies = new Map<string, RunningCopy>();
  /** Every snapshot this process made and has not deleted yet. */
  private readonly made = new Set<string>();

  constructor(root: string) {
    this.root = root;
  }

  private snapshotPath(id: string, ext: 'tar.gz' | 'json') {
    return join(this.root, 'snapshots', `${checkId(id)}.${ext}`);
  }

  private instancePath(id: string, ext?: 'json') {
    return join(this.root, 'instances', ext ? `${checkId(id)}.${ext}` : checkId(id));
  }

  async createSnapshot(request: {
    source: { dataDir: string };
    snapshotId: string;
    tags: Tags;
  }): Promise<SnapshotInfo> {
    const { source, snapshotId: id, tags } = request;
    if (!existsSync(join(source.dataDir, 'PG_VERSION'))) {
      throw new SnapshotFailedError(`source ${source.dataDir} is not a PGlite data directory`);
    }
    if (this.snapshots.has(id) || existsSync(this.snapshotPath(id, 'json'))) {
      throw new SnapshotFailedError(`snapshot ${id} already exists`);
    }
    await mkdir(join(this.root, 'snapshots'), { recursive: true });
    const work = this.dump(source.dataDir, id, tags) as Promise<void> & { failure?: Error };
    work.then(
      () => this.snapshots.delete(id),
      (error: Error) => {
        work.failure = error;
      },
    );
    this.snapshots.set(id, work);
    this.made.add(id);
    return { id, phase: 'pending', status: 'creating', tags };
  }

  private async dump(dataDir: string, id: string, tags: Tags): Promise<void> {
    const db = new PGlite(dataDir);
    try {
      await db.waitReady;
      const createdAt = new Date().toISOString();
      const tarball = await db.dumpDataDir('gzip');
      await writeFile(this.snapshotPath(id, 'tar.gz'), Buffer.from(await tarball.arrayBuffer()));
      const record: SnapshotRecord = {
        id,
        source: dataDir,
        engine: 'postgres',
        createdAt,
        sizeBytes: tarball.size,
        tags,
        pid: process.pid,
      };
      // The metadata is written last: its presence is what makes the snapshot available.
      await writeFile(this.snapshotPath(id, 'json'), JSON.stringify(record, null, 2));
    } finally {
      await db.close();
    }
  }

  async describeSnapshot(id: string): Promise<SnapshotInfo | undefined> {
    const inFlight = this.snapshots.get(id);
    if (inFlight?.failure)
      return { id, phase: 'failed', status: `failed: ${inFlight.failure.message}`, tags: {} };
    const record = await readJson<SnapshotRecord>(this.snapshotPath(id, 'json'));
    if (record) {
      const { createdAt, sizeBytes, tags } = record;
      return { id, phase: 'available', status: 'available', createdAt, sizeBytes, tags };
    }
    if (inFlight) return { id, phase: 'pending', status: 'creating', tags: {} };
    // A tarball without metadata is a dump that was cut short: deletable, never restorable.
    if (existsSync(this.snapshotPath(id, 'tar.gz')))
      return { id, phase: 'failed', status: 'incomplete', tags: {} };
    return undefined;
  }

  async restoreInstance(request: {
    snapshotId: string;
    instanceId: string;
    tags: Tags;
  }): Promise<InstanceInfo> {
    const { snapshotId, instanceId: id, tags } = request;
    const snapshot = await this.describeSnapshot(snapshotId);
    if (snapshot?.phase !== 'available') {
      throw new RestoreFailedError(`snapshot ${snapshotId} is ${snapshot?.status ?? 'missing'}`);
    }
    if (this.copies.has(id) || existsSync(this.instancePath(id, 'json'))) {
      throw new RestoreFailedError(`instance ${id} already exists`);
    }
    await mkdir(this.instancePath(id), { recursive: true });
    const record: InstanceRecord = { id, snapshotId, tags, pid: process.pid };
    await writeFile(this.instancePath(id, 'json'), JSON.stringify(record, null, 2));
    const copy: RunningCopy = { record, ready: Promise.resolve() };
    copy.ready = this.start(copy).catch((error: Error) => {
      copy.failure = error;
    });
    this.copies.set(id, copy);
    return { id, phase: 'pending', status: 'creating', tags };
  }

  private async start(copy: RunningCopy): Promise<void> {
    const { id, snapshotId } = copy.record;
    const tarball = await readFile(this.snapshotPath(snapshotId, 'tar.gz'));
    copy.db = new PGlite(this.instancePath(id), {
      loadDataDir: new Blob([tarball]),
      extensions: { amcheck },
    });
    await copy.db.waitReady;
    copy.server = new PGLiteSocketServer({
      db: copy.db,
      host: '127.0.0.1',
      port: 0,
      maxConnections: 8,
    });
    await copy.server.start();
    const [host = '127.0.0.1', port] = copy.server.getServerConn().split(':');
    copy.record.endpoint = { host, port: Number(port) };
    await writeFile(this.instancePath(id, 'json'), JSON.stringify(copy.record, null, 2));
  }

  async describeInstance(id: string): Promise<InstanceInfo | undefined> {
    const copy = this.copies.get(id);
    if (copy) {
      const { tags, endpoint } = copy.record;
      if (copy.failure)
        return { id, phase: 'failed', status: `failed: ${copy.failure.message}`, tags };
      if (!endpoint) return { id, phase: 'pending', status: 'creating', tags };
      return { id, phase: 'available', status: 'available', endpoint, tags };
    }
    const record = await readJson<InstanceRecord>(this.instancePath(id, 'json'));
    if (!record) return undefined;
    // Served by another process (a concurrent drill), or left by one that died.
    return isAlive(record.pid) && record.pid !== process.pid
      ? {
          id,
          phase: 'available',
          status: 'available',
          endpoint: record.endpoint,
          tags: record.tags,
        }
      : { id, phase: 'failed', status: 'stopped', tags: record.tags };
  }

  async deleteInstance(id: string): Promise<void> {
    const copy = this.copies.get(id);
    if (copy) {
      await copy.ready;
      await copy.server?.stop();
      await copy.db?.close();
      this.copies.delete(id);
    }
    await rm(this.instancePath(id), { recursive: true, force: true });
    await rm(this.instancePath(id, 'json'), { force: true });
  }

  async deleteSnapshot(id: string): Promise<void> {
    await this.snapshots.get(id)?.catch(() => undefined);
    this.snapshots.delete(id);
    this.made.delete(id);
    await rm(this.snapshotPath(id, 'tar.gz'), { force: true });
    await rm(this.snapshotPath(id, 'json'), { force: true });
  }

  async connectionFor(instance: InstanceInfo, database: string): Promise<ConnectionInfo> {
    if (!instance.endpoint) throw new RestoreFailedError(`instance ${instance.id} has no endpoint`);
    return { ...instance.endpoint, database, user: 'postgres' };
  }

  /**
   * Stops and removes everything this fleet made in this process: a safety net for a run that
   * was interrupted, and how a copy kept for investigation goes away afterwards.
   */
  async releaseAll(): Promise<void> {
    for (const id of [...this.copies.keys()]) await this.deleteInstance(id);
    for (const id of [...this.made]) await this.deleteSnapshot(id);
  }

  /**
   * Snapshots and copies left by drill processes that died (killed mid-drill, say): nothing
   * serves them any more, so a later run may delete them. Ones a live process holds are left.
   */
  async leftovers(): Promise<{ instances: string[]; snapshots: string[] }> {
    const stale = async (dir: 'instances' | 'snapshots') => {
      const names = await readdir(join(this.root, dir)).catch(() => [] as string[]);
      const ids: string[] = [];
      for (const name of names.filter((n) => n.endsWith('.json'))) {
        const record = await readJson<{ id: string; pid?: number }>(join(this.root, dir, name));
        if (record && record.pid !== process.pid && !(record.pid && isAlive(record.pid)))
          ids.push(record.id);
      }
      return ids;
    };
    return { instances: await stale('instances'), snapshots: await stale('snapshots') };
  }
}
