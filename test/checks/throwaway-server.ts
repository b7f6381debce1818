import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ConnectionInfo } from '#core/ports.ts';

const run = promisify(execFile);

/** Where the PostgreSQL server binaries are; `RESTORE_DRILL_TEST_PG_BIN` names another place. */
export const PG_BIN = process.env.RESTORE_DRILL_TEST_PG_BIN?.trim() || '/usr/lib/postgresql/15/bin';

/** Longest a throwaway server lives, whatever happens to the test that started it. */
const MAX_LIFE_SECONDS = 300;

/** The OS user a server runs as: this one, or `postgres` when this is root (initdb refuses root). */
type RunAs = { user?: { name: string; uid: number; gid: number } };

/**
 * Whether a throwaway server can be started here: the binaries exist and, as root, there is a
 * `postgres` OS user to run them as. The reason when not.
 */
export function throwawayServerSupport():
  | { ok: true; runAs: RunAs }
  | { ok: false; reason: string } {
  for (const binary of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, binary)))
      return { ok: false, reason: `no ${binary} in ${PG_BIN} (set RESTORE_DRILL_TEST_PG_BIN)` };
  }
  if (process.getuid?.() !== 0) return { ok: true, runAs: {} };
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    execFileSync('runuser', ['--help'], { stdio: 'ignore' });
    return { ok: true, runAs: { user: { name: 'postgres', uid: id('-u'), gid: id('-g') } } };
  } catch {
    return {
      ok: false,
      reason: 'running as root, and there is no postgres OS user (or no runuser) to run initdb as',
    };
  }
}

/** A port nothing listens on now, never 5432. */
async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (address && typeof address !== 'string' && address.port !== 5432) return address.port;
  }
}

export interface ThrowawayServer {
  connection: ConnectionInfo;
  /** The data directory: relation files are under it, as `pg_relation_filepath` names them. */
  dataDir: string;
  /** Stops the server cleanly (a checkpoint writes every page to its file first). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server at once, if it runs, and removes all its files. Safe to repeat. */
  remove(): Promise<void>;
}

/**
 * A PostgreSQL server of its own, in a temporary directory, on a free port of 127.0.0.1, with
 * trust authentication for `postgres`, no data checksums (so a damaged tuple reaches amcheck
 * instead of failing its page's checksum) and no autovacuum (so nothing rewrites a page behind
 * the test). It stops by itself: at the exit of this process, and through a watchdog when this
 * process is killed outright or after five minutes, which then removes its directory.
 */
export async function startThrowawayServer(runAs: RunAs): Promise<ThrowawayServer> {
  const dir = await mkdtemp(join(tmpdir(), 'restore-drill-pg-'));
  const dataDir = join(dir, 'data');
  const { user } = runAs;
  if (user) await chown(dir, user.uid, user.gid);
  const pg = (binary: string, args: string[]) =>
    user
      ? run('runuser', ['-u', user.name, '--', join(PG_BIN, binary), ...args])
      : run(join(PG_BIN, binary), args);
  const port = await freePort();
  const postmasterPid = () => {
    try {
      return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  };

  // However this process ends, the server goes with it.
  const onExit = () => {
    const pid = postmasterPid();
    if (pid) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  const watchdog = spawn(
    'sh',
    [
      '-c',
      `i=0
       while kill -0 "$1" 2>/dev/null && [ "$i" -lt ${MAX_LIFE_SECONDS} ]; do sleep 1; i=$((i+1)); done
       if [ -f "$2/postmaster.pid" ]; then kill -QUIT "$(head -n 1 "$2/postmaster.pid")" 2>/dev/null; sleep 2; fi
       rm -rf "$3"`,
      'watchdog',
      String(process.pid),
      dataDir,
      dir,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();

  const remove = async () => {
    const pid = postmasterPid();
    if (pid) {
      await pg('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
    process.off('exit', onExit);
    if (watchdog.pid && watchdog.exitCode === null) {
      try {
        process.kill(-watchdog.pid, 'SIGTERM');
      } catch {}
    }
  };

  const start = async () => {
    const options = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${dir}`,
      '-c fsync=off',
      '-c autovacuum=off',
      '-c max_connections=10',
      '-c shared_buffers=16MB',
    ].join(' ');
    try {
      await pg('pg_ctl', [
        '-D',
        dataDir,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-t',
        '30',
        '-o',
        options,
        'start',
      ]);
    } catch (error) {
      const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '');
      throw new Error(`the throwaway server did not start: ${String(error)}\n${log.slice(-2_000)}`);
    }
  };

  try {
    await pg('initdb', [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    await start();
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    connection: { host: '127.0.0.1', port, database: 'postgres', user: 'postgres' },
    dataDir,
    start,
    stop: async () => {
      await pg('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
    },
    remove,
  };
}
