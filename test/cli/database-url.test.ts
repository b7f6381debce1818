import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  type DatabaseUrl,
  derivedTargetName,
  describeUrl,
  endpointOf,
  mysqlConnection,
  PromptInterrupted,
  parseDatabaseUrl,
  passwordFrom,
  promptHidden,
  redactUrlPasswords,
  userFrom,
} from '#cli/database-url.ts';
import { ConfigError } from '#core/errors.ts';

const secret = 'pa:ss w@rd/%';
const encoded = encodeURIComponent(secret);

/** The ConfigError message a URL is refused with. */
function refusal(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseDatabaseUrl(text, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`${text} was accepted`);
}

describe('parseDatabaseUrl', () => {
  it('reads host, port, database, user and a percent-encoded password', () => {
    expect(
      parseDatabaseUrl(`postgres://app%40ops:${encoded}@db.example.com:6432/shop%20eu`),
    ).toEqual({
      engine: 'postgres',
      host: 'db.example.com',
      port: 6432,
      database: 'shop eu',
      user: 'app@ops',
      password: secret,
      sslMode: 'prefer',
    });
  });

  it('takes postgresql:// as well, the default port, and leaves out what the URL does not say', () => {
    expect(parseDatabaseUrl('postgresql://10.0.0.5')).toEqual({
      engine: 'postgres',
      host: '10.0.0.5',
      port: 5432,
      sslMode: 'prefer',
    });
  });

  it('reads an IPv6 address without its brackets, and writes it back with them', () => {
    const url = parseDatabaseUrl('postgres://[::1]:5433/shop');
    expect(url.host).toBe('::1');
    expect(endpointOf(url)).toBe('[::1]:5433');
  });

  it('accepts a mysql:// URL with its own default port', () => {
    expect(parseDatabaseUrl('mysql://root@db:3307/shop?ssl-mode=REQUIRED')).toMatchObject({
      engine: 'mysql',
      host: 'db',
      port: 3307,
      database: 'shop',
    });
    expect(parseDatabaseUrl('mysql://db').port).toBe(3306);
  });

  it.each([['disable'], ['allow'], ['prefer'], ['require'], ['verify-full']] as const)(
    'honours sslmode=%s',
    (mode) => {
      expect(parseDatabaseUrl(`postgres://db/shop?sslmode=${mode}`).sslMode).toBe(mode);
    },
  );

  it("takes PGSSLMODE when the URL names no sslmode, and the URL's over it", () => {
    expect(parseDatabaseUrl('postgres://db/shop', { PGSSLMODE: 'require' }).sslMode).toBe(
      'require',
    );
    expect(
      parseDatabaseUrl('postgres://db/shop?sslmode=disable', { PGSSLMODE: 'require' }).sslMode,
    ).toBe('disable');
    expect(parseDatabaseUrl('postgres://db/shop', { PGSSLMODE: '' }).sslMode).toBe('prefer');
  });

  it('takes sslrootcert for verify-full ("system" is the default CA store)', () => {
    expect(
      parseDatabaseUrl('postgres://db/shop?sslmode=verify-full&sslrootcert=/etc/ca.pem'),
    ).toMatchObject({ sslMode: 'verify-full', sslRootCert: '/etc/ca.pem' });
    expect(
      parseDatabaseUrl('postgres://db/shop?sslmode=verify-full&sslrootcert=system').sslRootCert,
    ).toBeUndefined();
  });

  it.each([
    ['not a url', '--url must be a URL such as postgres://user@host:5432/database'],
    [
      'http://db/shop',
      '--url must be a postgres:// or postgresql:// URL (or mysql://), not http://',
    ],
    ['postgres:///shop', '--url needs a host: postgres://user@host:5432/database'],
    ['postgres://db/shop?sslmode=verify-ca', 'sslmode=verify-ca is not supported'],
    ['postgres://db/shop?sslmode=on', 'sslmode in --url must be one of disable, allow, prefer'],
    ['postgres://db/shop?sslmode=', 'sslmode in --url must be one of'],
    ['postgres://db/shop?sslrootcert=/ca.pem', 'sslrootcert applies to sslmode=verify-full only'],
    [
      'postgres://db/shop?application_name=x',
      '--url parameter "application_name" is not supported (supported: sslmode, sslrootcert)',
    ],
    ['postgres://db/shop/more', '--url has more than a database in its path'],
    ['postgres://%2Fvar%2Frun%2Fpostgresql/shop', '--url names a Unix socket directory'],
  ])('refuses %s', (text, message) => {
    expect(refusal(text)).toContain(message);
  });

  it('names PGSSLMODE when it is the bad one', () => {
    expect(refusal('postgres://db/shop', { PGSSLMODE: 'sometimes' })).toMatch(
      /^PGSSLMODE must be one of/,
    );
  });

  it('never repeats the URL, or its password, when it refuses one', () => {
    for (const text of [
      `http://app:${encoded}@db/shop`,
      `postgres://app:${encoded}@db/shop?sslmode=maybe`,
      `postgres://app:${encoded}@db/shop?x=1`,
      `postgres://app:${encoded}@/shop`,
      `postgres://app:${encoded}@db:99999/shop`,
    ]) {
      const message = refusal(text);
      expect(message).not.toContain(encoded);
      expect(message).not.toContain(secret);
      expect(message).not.toContain('app:');
    }
  });
});

describe('what a URL is called in messages and reports', () => {
  const url = parseDatabaseUrl(`postgres://app:${encoded}@db.example.com/shop`);

  it('names user, endpoint and database, never the password', () => {
    expect(describeUrl(url, 'shop', 'app')).toBe('app@db.example.com:5432/shop');
  });

  it('derives a target name from host and database, with the port only when it is not 5432', () => {
    expect(derivedTargetName(url, 'shop')).toBe('db.example.com/shop');
    expect(derivedTargetName(parseDatabaseUrl('postgres://10.0.0.5:6432'), 'postgres')).toBe(
      '10.0.0.5:6432/postgres',
    );
  });

  it('hides the password of any URL inside a message', () => {
    expect(
      redactUrlPasswords(`unexpected argument "postgres://app:${encoded}@db/shop" for check`),
    ).toBe('unexpected argument "postgres://app:***@db/shop" for check');
    expect(redactUrlPasswords('postgres://app@db/shop and mysql://root:x@h/')).toBe(
      'postgres://app@db/shop and mysql://root:***@h/',
    );
  });
});

describe('where the password and user come from', () => {
  const withPassword = parseDatabaseUrl('postgres://app:from-url@db/shop');
  const without: DatabaseUrl = parseDatabaseUrl('postgres://db/shop');

  it('takes the URL first, then PGPASSWORD, else none (the server is asked first)', () => {
    expect(passwordFrom(withPassword, { PGPASSWORD: 'from-env' })).toBe('from-url');
    expect(passwordFrom(without, { PGPASSWORD: 'from-env' })).toBe('from-env');
    expect(passwordFrom(without, { PGPASSWORD: '' })).toBeUndefined();
    expect(passwordFrom(without, {})).toBeUndefined();
    expect(passwordFrom(parseDatabaseUrl('postgres://app:@db/shop'), {})).toBeUndefined();
  });

  it('connects as the URL says, else PGUSER, else postgres', () => {
    expect(userFrom(withPassword, { PGUSER: 'ops' })).toBe('app');
    expect(userFrom(without, { PGUSER: 'ops' })).toBe('ops');
    expect(userFrom(without, {})).toBe('postgres');
  });
});

describe('promptHidden', () => {
  /** A terminal: what is typed goes in, everything shown is collected. */
  function terminal() {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk) => {
      shown += chunk;
    });
    return { input, output, shown: () => shown };
  }

  it('shows the question, reads the answer, and never echoes it', async () => {
    const tty = terminal();
    const answer = promptHidden('Password for app@db:5432/shop: ', tty);
    tty.input.write('s3cret-typed\r');
    await expect(answer).resolves.toBe('s3cret-typed');
    expect(tty.shown()).toContain('Password for app@db:5432/shop: ');
    expect(tty.shown()).not.toContain('s3cret');
    expect(tty.shown().endsWith('\n')).toBe(true);
  });

  it('keeps characters the terminal sends one at a time, and their corrections', async () => {
    const tty = terminal();
    const answer = promptHidden('Password: ', tty);
    for (const key of ['a', 'b', 'x', '\x7f', 'c']) tty.input.write(key);
    tty.input.write('\n');
    await expect(answer).resolves.toBe('abc');
    expect(tty.shown()).not.toMatch(/[abc]{2}/);
  });

  it('is interrupted by Ctrl-C', async () => {
    const tty = terminal();
    const answer = promptHidden('Password: ', tty);
    tty.input.write('\x03');
    await expect(answer).rejects.toBeInstanceOf(PromptInterrupted);
  });

  it('fails when the input ends before a line', async () => {
    const tty = terminal();
    const answer = promptHidden('Password: ', tty);
    tty.input.end();
    await expect(answer).rejects.toThrow('no password was entered');
  });
});

describe('mysqlConnection', () => {
  // A password in the environment: no test asks for one on a terminal.
  const connect = (text: string, database?: string, env: NodeJS.ProcessEnv = { MYSQL_PWD: 'pw' }) =>
    mysqlConnection(text, parseDatabaseUrl(text), database, env);

  it('connects as the URL says: its user, else root; its password, else MYSQL_PWD', async () => {
    await expect(connect('mysql://app:secret@db:3307/shop')).resolves.toEqual({
      connection: { host: 'db', port: 3307, database: 'shop', user: 'app', password: 'secret' },
      tls: 'none',
    });
    const fromEnv = await connect('mysql://db/shop', undefined, { MYSQL_PWD: 'from-env' });
    expect(fromEnv.connection).toMatchObject({ user: 'root', password: 'from-env' });
  });

  it("takes the URL's database, else the one given, and needs one", async () => {
    expect((await connect('mysql://db/shop', 'other')).connection.database).toBe('shop');
    expect((await connect('mysql://db', 'other')).connection.database).toBe('other');
    await expect(connect('mysql://db')).rejects.toThrow('a mysql:// URL needs its database');
  });

  it.each([
    ['DISABLED', 'none', undefined],
    ['required', 'require', { rejectUnauthorized: false }],
    ['VERIFY_IDENTITY', 'verify-full', { rejectUnauthorized: true }],
  ])('takes ssl-mode=%s as %s', async (mode, tls, ssl) => {
    const { connection, tls: inUse } = await connect(`mysql://db/shop?ssl-mode=${mode}`);
    expect([inUse, connection.ssl]).toEqual([tls, ssl]);
  });

  it('refuses any other parameter, or another ssl-mode', async () => {
    for (const url of ['mysql://db/shop?sslmode=require', 'mysql://db/shop?ssl-mode=PREFERRED']) {
      await expect(connect(url)).rejects.toThrow('a mysql:// URL takes one parameter, ssl-mode');
    }
  });
});
