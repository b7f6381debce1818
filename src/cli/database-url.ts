import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { ConfigError } from '#core/errors.ts';
import type { ConnectionInfo } from '#core/ports.ts';

/**
 * How a PostgreSQL connection is secured, as libpq's `sslmode` names it. `allow` and `prefer`
 * both mean: TLS if the server offers it (its certificate not verified), else none.
 */
export const sslModes = ['disable', 'allow', 'prefer', 'require', 'verify-full'] as const;
export type SslMode = (typeof sslModes)[number];

/** A database given as a URL: where it is, who connects, and how; never printed as given. */
export interface DatabaseUrl {
  engine: 'postgres' | 'mysql';
  host: string;
  port: number;
  /** The database the URL's path names, if it names one. */
  database?: string;
  user?: string;
  /** Only from the URL itself. Held, never shown: see `describeUrl`. */
  password?: string;
  /** The URL's `sslmode`, else `PGSSLMODE`, else `prefer` (libpq's default). */
  sslMode: SslMode;
  /** A PEM file of the certificate authorities `verify-full` trusts instead of Node's own. */
  sslRootCert?: string;
}

const example = 'postgres://user@host:5432/database';
const defaultPorts = { postgres: 5432, mysql: 3306 } as const;

/** The URL parameters `check` and `suggest` understand; any other is refused, not ignored. */
const postgresParameters = new Set(['sslmode', 'sslrootcert']);

/**
 * Parses `postgres://` / `postgresql://` (and `mysql://`) URLs. A bad URL is a ConfigError that
 * never repeats the URL: it may hold a password.
 */
export function parseDatabaseUrl(text: string, env: NodeJS.ProcessEnv = {}): DatabaseUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`--url must be a URL such as ${example}`);
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const engine =
    scheme === 'postgres' || scheme === 'postgresql'
      ? 'postgres'
      : scheme === 'mysql'
        ? 'mysql'
        : undefined;
  if (!engine) {
    throw new ConfigError(
      `--url must be a postgres:// or postgresql:// URL (or mysql://), not ${scheme}://`,
    );
  }
  const decode = (part: string, what: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new ConfigError(`the ${what} in --url is not validly percent-encoded`);
    }
  };
  const host = decode(url.hostname, 'host').replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new ConfigError(`--url needs a host: ${example}`);
  if (host.startsWith('/')) {
    throw new ConfigError('--url names a Unix socket directory: give a host name or address');
  }
  const path = decode(url.pathname.replace(/^\//, ''), 'database name');
  if (path.includes('/')) throw new ConfigError(`--url has more than a database in its path`);
  const user = decode(url.username, 'user name');
  const password = decode(url.password, 'password');
  const parsed: DatabaseUrl = {
    engine,
    host,
    port: url.port ? Number(url.port) : defaultPorts[engine],
    sslMode: 'prefer',
    ...(path ? { database: path } : {}),
    ...(user ? { user } : {}),
    ...(password ? { password } : {}),
  };
  if (engine === 'mysql') return parsed;

  for (const name of new Set(url.searchParams.keys())) {
    if (!postgresParameters.has(name)) {
      throw new ConfigError(
        `--url parameter "${name}" is not supported (supported: ${[...postgresParameters].join(', ')})`,
      );
    }
  }
  const mode = url.searchParams.get('sslmode') ?? (env.PGSSLMODE || undefined);
  if (mode !== undefined) {
    if (mode === 'verify-ca') {
      throw new ConfigError(
        'sslmode=verify-ca is not supported: use verify-full (certificate and host name checked) or require',
      );
    }
    if (!(sslModes as readonly string[]).includes(mode)) {
      const from = url.searchParams.has('sslmode') ? 'sslmode in --url' : 'PGSSLMODE';
      throw new ConfigError(`${from} must be one of ${sslModes.join(', ')}`);
    }
    parsed.sslMode = mode as SslMode;
  }
  const rootCert = url.searchParams.get('sslrootcert');
  if (rootCert !== null && rootCert !== 'system') {
    if (parsed.sslMode !== 'verify-full') {
      throw new ConfigError('sslrootcert applies to sslmode=verify-full only');
    }
    if (rootCert === '') throw new ConfigError('sslrootcert in --url needs a file');
    parsed.sslRootCert = rootCert;
  }
  return parsed;
}

/** `host:port`, with brackets around an IPv6 address. */
export function endpointOf(url: Pick<DatabaseUrl, 'host' | 'port'>): string {
  return `${url.host.includes(':') ? `[${url.host}]` : url.host}:${url.port}`;
}

/** `user@host:port/database`, as messages name the database: never with the password. */
export function describeUrl(url: DatabaseUrl, database: string, user: string): string {
  return `${user}@${endpointOf(url)}/${database}`;
}

/**
 * A name for what is checked when no configuration names it: `host/database`, with the port
 * when it is not the engine's default one.
 */
export function derivedTargetName(url: DatabaseUrl, database: string): string {
  const host = url.port === defaultPorts[url.engine] ? url.host : endpointOf(url);
  return `${host}/${database}`;
}

/** Hides the password of any `scheme://user:password@` in a message, wherever it came from. */
export function redactUrlPasswords(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi, '$1:***@');
}

/** Where a password comes from, in order: the URL, then `PGPASSWORD`; else none (yet). */
export function passwordFrom(url: DatabaseUrl, env: NodeJS.ProcessEnv): string | undefined {
  if (url.password) return url.password;
  const fromEnv = env.PGPASSWORD;
  return fromEnv ? fromEnv : undefined;
}

/** Ctrl-C at the password prompt. */
export class PromptInterrupted extends Error {
  override name = 'PromptInterrupted';
}

/**
 * Asks for a password on a terminal without echoing it: readline reads the line from `input`
 * while everything it would write back (the typed characters) is dropped; only the question,
 * and a line break after the answer, reach `output`.
 */
export function promptHidden(
  question: string,
  streams: { input: Readable; output: NodeJS.WritableStream },
): Promise<string> {
  const { input, output } = streams;
  let muted = false;
  const sink = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  const reader = createInterface({ input, output: sink, terminal: true });
  return new Promise<string>((resolve, reject) => {
    let answered = false;
    reader.on('SIGINT', () => {
      answered = true;
      reader.close();
      output.write('\n');
      reject(new PromptInterrupted('interrupted at the password prompt'));
    });
    reader.on('close', () => {
      if (answered) return;
      output.write('\n');
      reject(new Error('no password was entered'));
    });
    reader.question(question, (answer) => {
      answered = true;
      reader.close();
      output.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

/** The user to connect as: the URL's, else `PGUSER`, else `postgres`. */
export function userFrom(url: DatabaseUrl, env: NodeJS.ProcessEnv): string {
  return url.user ?? (env.PGUSER || 'postgres');
}

/** A password prompt on this process's terminal, or `undefined` when there is none to ask on. */
export function terminalPrompt(): ((question: string) => Promise<string>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return (question) => promptHidden(question, { input: process.stdin, output: process.stderr });
}

/** TLS of a `mysql://` URL, from its `ssl-mode` (as the mysql client names it). */
const mysqlTls = {
  DISABLED: { tls: 'none', ssl: undefined },
  REQUIRED: { tls: 'require', ssl: { rejectUnauthorized: false } },
  VERIFY_IDENTITY: { tls: 'verify-full', ssl: { rejectUnauthorized: true } },
} as const;

/** How to reach a `mysql://` URL's database, as the MySQL-family checks connect. */
export interface MysqlConnection {
  connection: Omit<ConnectionInfo, 'engine'>;
  /** The TLS the URL's `ssl-mode` asks for. */
  tls: (typeof mysqlTls)[keyof typeof mysqlTls]['tls'];
}

/**
 * The connection a `mysql://` URL (`text`, parsed as `url`) names: TLS from its one parameter,
 * `ssl-mode`; its database, else `defaultDatabase`: one of them must name it (MySQL has no default
 * one); the user from the URL, else root; the password from the URL, else `MYSQL_PWD`, else
 * asked for on the terminal when there is one.
 */
export async function mysqlConnection(
  text: string,
  url: DatabaseUrl,
  defaultDatabase: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<MysqlConnection> {
  const params = new URL(text).searchParams;
  const mode = (params.get('ssl-mode') ?? 'DISABLED').toUpperCase();
  if (!(mode in mysqlTls) || [...params.keys()].some((key) => key !== 'ssl-mode')) {
    throw new ConfigError(
      `a mysql:// URL takes one parameter, ssl-mode: ${Object.keys(mysqlTls).join(', ')}`,
    );
  }
  const { tls, ssl } = mysqlTls[mode as keyof typeof mysqlTls];
  const named = url.database ?? defaultDatabase;
  if (!named) {
    throw new ConfigError('a mysql:// URL needs its database: mysql://user@host:3306/database');
  }
  const user = url.user ?? 'root';
  const ask = url.password || env.MYSQL_PWD ? undefined : terminalPrompt();
  const password =
    url.password ||
    env.MYSQL_PWD ||
    (ask ? await ask(`Password for ${describeUrl(url, named, user)}: `) : undefined);
  const { host, port } = url;
  return { connection: { host, port, database: named, user, password, ssl }, tls };
}
