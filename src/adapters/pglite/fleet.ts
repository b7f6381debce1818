import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { amcheck } from '@electric-sql/pglite/contrib/amcheck';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { RecoveryPoint, Target, TargetSource } from '#core/config.ts';
import { ForeignResourceError, RestoreFailedError, SnapshotFailedError } from '#core/errors.ts';
import type {
  ConnectionInfo,
  CopyInfo,
  DatabaseFleet,
  RecoveryPointInfo,
  RecoveryPointRef,
  SnapshotInfo,
  Tags,
} from '#core/ports.ts';
import { DRILL_ID_TAG } from '#core/steps.ts';
import { TAR_TYPE, tarDirectory } from './tar.ts';

/**
 * What the store keeps beside each snapshot tarball and each restored copy's files. Written
 * before the work starts, so whatever a killed process leaves behind is known, and tagged.
 */
interface SnapshotRecord {
  id: string;
  status: 'creating' | 'available';
  source: string;
  engine: 'postgres';
  createdAt?: string;
  sizeBytes?: number;
  tags: Tags;
  /** The process making the snapshot: one whose process is gone never completes. */
  pid: number;
}

/** A snapshot this process is making, or failed to make. */
interface SnapshotJob {
  tags: Tags;
  done: Promise<void>;
  failure?: Error;
}

export interface PgliteFleetOptions {
  /**
   * How long a describe call waits for a snapshot or copy this process is making to finish
   * before answering `pending` (default 0: it answers at once). A local poll loop then learns
   * that a phase ended when it ends, not on its next tick.
   */
  settleMs?: number;
  /**
   * Whether a restore in this process loads the tarball its snapshot just wrote from memory
   * (default) or reads it back from `snapshots/`, as a restore in another process does.
   */
  reuseTarballs?: boolean;
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

/** Marks a folder as this fleet's store: the only kind of folder it ever sweeps. */
const STORE_MARKER = '.restore-drill-store';

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Resolves after `ms`, or as soon as `work` settles, whichever comes first. */
async function settle(work: Promise<unknown>, ms: number): Promise<void> {
  if (ms <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise<void>((done) => {
      timer = setTimeout(done, ms);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * A fleet of embedded PostgreSQL (PGlite) databases on this machine. A source is a PGlite data
 * directory; a snapshot is a tarball of its files, read without opening it, in the layout of
 * PGlite's `dumpDataDir`; a restored copy is a new PGlite loaded from that tarball
 * (`loadDataDir`) into its own directory and served over TCP on 127.0.0.1,
 * so checks reach it with `pg` exactly as they reach RDS. Snapshots and restores run in the
 * background, like their RDS counterparts: describe calls report `pending` until they finish.
 * Every resource is registered before the first `await`, so one that is interrupted while
 * being made is still found, and removed, by `releaseAll`.
 */
export class PgliteFleet implements DatabaseFleet {
  readonly root: string;
  private readonly jobs = new Map<string, SnapshotJob>();
  private readonly copies = new Map<string, RunningCopy>();
  /** Every snapshot this process made and has not deleted yet. */
  private readonly made = new Set<string>();
  /** The tarballs of snapshots this process made, for its own restores. */
  private readonly tarballs = new Map<string, Blob>();
  private readonly settleMs: number;
  private readonly reuseTarballs: boolean;

  constructor(root: string, options: PgliteFleetOptions = {}) {
    this.root = root;
    this.settleMs = options.settleMs ?? 0;
    this.reuseTarballs = options.reuseTarballs ?? true;
  }

  /**
   * `tar` is a snapshot; `tar.gz` (a snapshot) and `source` (the copy it was dumped from) are
   * what earlier versions made, still removed with their snapshot.
   */
  private snapshotPath(id: string, ext: 'tar' | 'tar.gz' | 'json' | 'source') {
    return join(this.root, 'snapshots', `${checkId(id)}.${ext}`);
  }

  private instancePath(id: string, ext?: 'json') {
    return join(this.root, 'instances', ext ? `${checkId(id)}.${ext}` : checkId(id));
  }

  private async ensureDir(dir: 'snapshots' | 'instances'): Promise<void> {
    await mkdir(join(this.root, dir), { recursive: true });
    await writeFile(join(this.root, STORE_MARKER), 'restore-drill snapshots and restored copies\n');
  }

  /** A local source has no backups of its own: every drill takes a new snapshot. */
  async prepareRecoveryPoint(request: {
    source: TargetSource;
    recoveryPoint: RecoveryPoint;
    snapshotId: string;
    tags: Tags;
  }): Promise<RecoveryPointInfo> {
    const { source, recoveryPoint, snapshotId: id, tags } = request;
    if (recoveryPoint.mode !== 'new-snapshot') {
      throw new SnapshotFailedError(
        `a local source is always drilled from a new snapshot, not ${recoveryPoint.mode}`,
      );
    }
    if (!('dataDir' in source)) {
      throw new SnapshotFailedError(
        `the local fleet drills PGlite data directories, not ${JSON.stringify(source)}`,
      );
    }
    if (!existsSync(join(source.dataDir, 'PG_VERSION'))) {
      throw new SnapshotFailedError(`source ${source.dataDir} is not a PGlite data directory`);
    }
    if (this.jobs.has(id) || existsSync(this.snapshotPath(id, 'json'))) {
      throw new SnapshotFailedError(`snapshot ${id} already exists`);
    }
    const job: SnapshotJob = { tags, done: Promise.resolve() };
    this.jobs.set(id, job);
    this.made.add(id);
    job.done = this.dump(source.dataDir, id, tags).then(
      () => void this.jobs.delete(id),
      (error: Error) => {
        job.failure = error;
      },
    );
    return { kind: 'snapshot', owned: true, id, phase: 'pending', status: 'creating', tags };
  }

  async describeRecoveryPoint(point: RecoveryPointRef): Promise<RecoveryPointInfo | undefined> {
    const snapshot = await this.describeSnapshot(point.id);
    return snapshot && { ...snapshot, kind: 'snapshot', owned: true };
  }

  /**
   * Tars the source's files as they are on disk: reading them leaves the source as it was (a
   * drill must, as an RDS snapshot does), whereas opening a PGlite data directory writes to it.
   * The tarball is uncompressed: it stays on this machine, and gzip would cost more time than
   * the disk space is worth.
   */
  private async dump(dataDir: string, id: string, tags: Tags): Promise<void> {
    await this.ensureDir('snapshots');
    const record: SnapshotRecord = {
      id,
      status: 'creating',
      source: dataDir,
      engine: 'postgres',
      tags,
      pid: process.pid,
    };
    await writeFile(this.snapshotPath(id, 'json'), JSON.stringify(record, null, 2));
    // A cluster PostgreSQL can start from has its control file.
    if (!existsSync(join(dataDir, 'global', 'pg_control'))) {
      throw new SnapshotFailedError(`source ${dataDir} has no global/pg_control`);
    }
    const createdAt = new Date().toISOString();
    const chunks = await tarDirectory(dataDir);
    await writeFile(this.snapshotPath(id, 'tar'), chunks);
    const tarball = new Blob(chunks, { type: TAR_TYPE });
    if (this.reuseTarballs) this.tarballs.set(id, tarball);
    const done: SnapshotRecord = {
      ...record,
      status: 'available',
      createdAt,
      sizeBytes: tarball.size,
    };
    await writeFile(this.snapshotPath(id, 'json'), JSON.stringify(done, null, 2));
  }

  async describeSnapshot(id: string): Promise<SnapshotInfo | undefined> {
    const pending = this.jobs.get(id);
    if (pending && !pending.failure) await settle(pending.done, this.settleMs);
    const job = this.jobs.get(id);
    if (job?.failure) {
      return { id, phase: 'failed', status: `failed: ${job.failure.message}`, tags: job.tags };
    }
    if (job) return { id, phase: 'pending', status: 'creating', tags: job.tags };
    const record = await readJson<SnapshotRecord>(this.snapshotPath(id, 'json'));
    if (!record) return undefined;
    const { createdAt, sizeBytes, tags } = record;
    if (record.status === 'available') {
      return { id, phase: 'available', status: 'available', createdAt, sizeBytes, tags };
    }
    // Being made by another process (a concurrent drill), or cut short by one that died.
    return record.pid !== process.pid && isAlive(record.pid)
      ? { id, phase: 'pending', status: 'creating', tags }
      : { id, phase: 'failed', status: 'incomplete', tags };
  }

  async restoreCopy(request: {
    recoveryPoint: RecoveryPointRef;
    copyId: string;
    tags: Tags;
  }): Promise<CopyInfo> {
    const { recoveryPoint, copyId: id, tags } = request;
    const snapshotId = recoveryPoint.id;
    checkId(id);
    const snapshot = await this.describeSnapshot(snapshotId);
    if (snapshot?.phase !== 'available') {
      throw new RestoreFailedError(`snapshot ${snapshotId} is ${snapshot?.status ?? 'missing'}`);
    }
    if (this.copies.has(id) || existsSync(this.instancePath(id, 'json'))) {
      throw new RestoreFailedError(`instance ${id} already exists`);
    }
    const copy: RunningCopy = {
      record: { id, snapshotId, tags, pid: process.pid },
      ready: Promise.resolve(),
    };
    this.copies.set(id, copy);
    copy.ready = this.start(copy).catch((error: Error) => {
      copy.failure = error;
    });
    return { id, kind: 'instance', phase: 'pending', status: 'creating', tags };
  }

  private async start(copy: RunningCopy): Promise<void> {
    const { id, snapshotId } = copy.record;
    await this.ensureDir('instances');
    await mkdir(this.instancePath(id), { recursive: true });
    await writeFile(this.instancePath(id, 'json'), JSON.stringify(copy.record, null, 2));
    const tarball =
      this.tarballs.get(snapshotId) ??
      new Blob([await readFile(this.snapshotPath(snapshotId, 'tar'))], { type: TAR_TYPE });
    copy.db = new PGlite(this.instancePath(id), {
      loadDataDir: tarball,
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

  async describeCopy(id: string): Promise<CopyInfo | undefined> {
    const starting = this.copies.get(id);
    if (starting && !starting.failure && !starting.record.endpoint)
      await settle(starting.ready, this.settleMs);
    const copy = this.copies.get(id);
    const kind = 'instance';
    if (copy) {
      const { tags, endpoint } = copy.record;
      if (copy.failure)
        return { id, kind, phase: 'failed', status: `failed: ${copy.failure.message}`, tags };
      if (!endpoint) return { id, kind, phase: 'pending', status: 'creating', tags };
      return { id, kind, phase: 'available', status: 'available', endpoint, tags };
    }
    const record = await readJson<InstanceRecord>(this.instancePath(id, 'json'));
    if (!record) return undefined;
    // Served by another process (a concurrent drill), or left by one that died.
    return isAlive(record.pid) && record.pid !== process.pid
      ? {
          id,
          kind,
          phase: 'available',
          status: 'available',
          endpoint: record.endpoint,
          tags: record.tags,
        }
      : { id, kind, phase: 'failed', status: 'stopped', tags: record.tags };
  }

  /** A local copy needs nothing once it is served: a poll is a describe. */
  advanceCopy({ copyId }: { copyId: string }): Promise<CopyInfo | undefined> {
    return this.describeCopy(copyId);
  }

  async deleteCopy(id: string): Promise<void> {
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
    await this.jobs.get(id)?.done;
    this.jobs.delete(id);
    this.made.delete(id);
    this.tarballs.delete(id);
    await rm(this.snapshotPath(id, 'source'), { recursive: true, force: true });
    await rm(this.snapshotPath(id, 'tar'), { force: true });
    await rm(this.snapshotPath(id, 'tar.gz'), { force: true });
    await rm(this.snapshotPath(id, 'json'), { force: true });
  }

  async connectionFor(copy: CopyInfo, target: Target): Promise<ConnectionInfo> {
    if (!copy.endpoint) throw new RestoreFailedError(`instance ${copy.id} has no endpoint`);
    // PGlite is a single backend behind its socket server: one session at a time.
    return { ...copy.endpoint, database: target.database, user: 'postgres', maxSessions: 1 };
  }

  /**
   * Stops and removes everything this fleet made in this process: a safety net for a run that
   * was interrupted, and how a copy kept for investigation goes away afterwards.
   */
  async releaseAll(): Promise<void> {
    for (const id of [...this.copies.keys()]) await this.deleteCopy(id);
    for (const id of [...this.made]) await this.deleteSnapshot(id);
  }

  /**
   * Snapshots and copies left by drill processes that died (killed mid-drill, say): nothing
   * serves them any more, so a later run may delete them. Only records in a folder marked as a
   * store, that carry their own drill tag, and whose process is gone, count: anything else there
   * is not this fleet's to remove.
   */
  async leftovers(): Promise<{ instances: string[]; snapshots: string[] }> {
    if (!existsSync(join(this.root, STORE_MARKER))) return { instances: [], snapshots: [] };
    const stale = async (dir: 'instances' | 'snapshots') => {
      const names = await readdir(join(this.root, dir)).catch(() => [] as string[]);
      const ids: string[] = [];
      for (const name of names.filter((n) => n.endsWith('.json'))) {
        const id = name.slice(0, -'.json'.length);
        const record = await readJson<{ id?: string; pid?: number; tags?: Tags }>(
          join(this.root, dir, name),
        ).catch(() => undefined);
        const ours = record?.id === id && ID.test(id) && record.tags?.[DRILL_ID_TAG] === id;
        const orphaned = record?.pid !== process.pid && !(record?.pid && isAlive(record.pid));
        if (ours && orphaned) ids.push(id);
      }
      return ids;
    };
    return { instances: await stale('instances'), snapshots: await stale('snapshots') };
  }
}
