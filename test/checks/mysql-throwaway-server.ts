import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

const run = promisify(execFile);

/**
 * A MariaDB server of this test's own, from the installed binaries: its own data directory,
 * socket and port on 127.0.0.1 (never 3306), root without a password. Tests may damage its
 * files at will; no other server is touched.
 */
export interface ThrowawayServer {
  host: '127.0.0.1';
  port: number;
  /** Its data directory: one subdirectory per database, the tables' files in it. */
  dataDir: string;
  /** A root connection to it, for the test's own set-up. */
  admin(): Promise<mysql.Connection>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

export type ThrowawayStart = { server: ThrowawayServer } | { skip: string };

export interface ThrowawayOptions {
  /** PEM files the server presents for TLS: its certificate, its key, and the CA. */
  tls?: { cert: string; key: string; ca: string };
}

const SEARCH_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/usr/libexec'];

/** The first of `names` found on PATH or where distributions put server binaries. */
function findBinary(names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SEARCH_DIRS];
  for (const name of names) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
  }
  return undefined;
}

/** A port nothing listens on: bound by the OS, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port was bound');
  return address.port;
}

const tail = async (file: string) =>
  (await readFile(file, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join(' | ');

/** Small InnoDB files: the server starts in about a second and takes little disk. */
const SMALL_INNODB = [
  '--innodb-log-file-size=4M',
  '--innodb-data-file-path=ibdata1:4M:autoextend',
  '--innodb-buffer-pool-size=16M',
];

/**
 * Starts a throwaway MariaDB, or says why it cannot (no binaries, or binaries that do not
 * start): the caller skips with that reason. The server runs under a shell that stops it and
 * removes its directory as soon as this process's end of the shell's stdin closes: on stop(),
 * or when this process dies, however it dies.
 */
export async function startThrowawayServer(
  options: ThrowawayOptions = {},
): Promise<ThrowawayStart> {
  const install = findBinary(['mariadb-install-db', 'mysql_install_db']);
  const daemon = findBinary(['mariadbd', 'mysqld']);
  if (!install || !daemon) {
    return {
      skip: `no MariaDB server binaries here (mariadb-install-db and mariadbd, or mysql_install_db and mysqld) to start a throwaway server with`,
    };
  }
  // A short path: a Unix socket's path is limited to about 100 bytes.
  const dir = await mkdtemp(join(tmpdir(), 'rd-mariadb-'));
  const dataDir = join(dir, 'data');
  // As root, the server must be told it may run as root; as anyone else it runs as them.
  const user = `--user=${userInfo().username}`;
  try {
    await run(
      install,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        user,
        ...SMALL_INNODB,
      ],
      { timeout: 60_000 },
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const said = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ');
    return {
      skip: `${install} could not make a data directory: ${said || (error as Error).message}`,
    };
  }
  const port = await freePort();
  const log = join(dir, 'error.log');
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    `--log-error=${log}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    user,
    ...SMALL_INNODB,
    ...(options.tls
      ? [
          `--ssl-cert=${options.tls.cert}`,
          `--ssl-key=${options.tls.key}`,
          `--ssl-ca=${options.tls.ca}`,
        ]
      : []),
  ];
  // The server in the background; `cat` holds until stdin closes, then the server is stopped
  // and its files removed, by the shell, whether or not this process is still there.
  const script = `"$0" "$@" &
server=$!
cat >/dev/null
kill "$server" 2>/dev/null
wait "$server"
rm -rf "${dir}"`;
  const shell: ChildProcess = spawn('sh', ['-c', script, daemon, ...args], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const ended = new Promise<void>((resolve) => shell.once('exit', () => resolve()));
  let exited = false;
  void ended.then(() => {
    exited = true;
  });
  const stop = async () => {
    shell.stdin?.end();
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    if (!exited) shell.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  const admin = () =>
    mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 2_000 });
  const deadline = performance.now() + 30_000;
  for (;;) {
    try {
      const connection = await admin();
      await connection.end();
      break;
    } catch (error) {
      if (exited || performance.now() > deadline) {
        const why = (await tail(log)) || (error as Error).message;
        await stop();
        return { skip: `${daemon} did not start a throwaway server: ${why}` };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { server: { host: '127.0.0.1', port, dataDir, admin, stop } };
}
