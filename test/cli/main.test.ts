import { describe, expect, it } from 'vitest';
import { main } from '#cli/main.ts';
import packageJson from '../../package.json' with { type: 'json' };

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** The start of a terminal colour sequence. */
const ansi = String.fromCharCode(27);

describe('restore-drill help and version', () => {
  it('lists the commands and the exit codes, as plain text', async () => {
    const { code, stdout, stderr } = await cli('--help');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const command of ['run', 'check', 'suggest', 'start', 'status', 'history', 'config']) {
      expect(stdout).toMatch(new RegExp(`^ +${command} {4}\\S`, 'm'));
    }
    expect(stdout).toContain('Exit codes: 0 PASS, 1 FAIL');
    expect(stdout).not.toContain(ansi);
    expect(stdout.split('\n').filter((line) => line !== line.trimEnd())).toEqual([]);
  });

  it('gives run its own help, naming every flag', async () => {
    const { code, stdout } = await cli('run', '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^USAGE restore-drill run \[OPTIONS\]$/m);
    for (const flag of ['--local', '--config=<FILE>', '--source-dir=<DIR>', '--target=<NAME>']) {
      expect(stdout).toContain(flag);
    }
    for (const flag of ['--json', '--keep', '--state-dir=<DIR>']) expect(stdout).toContain(flag);
    expect(stdout).toContain('130 interrupted');
  });

  it('gives check and suggest their own help, naming every flag', async () => {
    const check = await cli('check', '--help');
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^USAGE restore-drill check \[OPTIONS\] --url=<URL>$/m);
    for (const flag of ['--url=<URL>', '--config=<FILE>', '--target=<NAME>', '--json']) {
      expect(check.stdout).toContain(flag);
    }
    expect(check.stdout).toContain('PGPASSWORD');
    expect(check.stdout).toContain('verify-full');
    const suggest = await cli('suggest', '--help');
    expect(suggest.code).toBe(0);
    expect(suggest.stdout).toMatch(/^USAGE restore-drill suggest \[OPTIONS\] --url=<URL>$/m);
    expect(suggest.stdout).toContain('--fraction=<F>');
  });

  it('shows help wherever -h stands, even after other flags', async () => {
    const { code, stdout } = await cli('run', '--local', '--bogus', '-h');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^USAGE restore-drill run/m);
  });

  it('prints the version', async () => {
    expect(await cli('--version')).toEqual({ code: 0, stdout: packageJson.version, stderr: '' });
  });
});

const fractionRange = '--fraction must be a number above 0 and at most 1, e.g. 0.9';

describe('restore-drill with words it does not know', () => {
  it.each([
    [[], 'missing command'],
    [['drill'], 'unknown command "drill"'],
    [
      ['--local', 'run'],
      '--local comes after a command (run, check, suggest, start, status, history, config)',
    ],
    [['run', 'now', '--local'], 'unexpected argument "now" for run'],
    [['run', '--local=yes'], "Option '--local' does not take an argument"],
    [['run', '--local', '--target'], "Option '--target <value>' argument missing"],
    [['run', '--local', '--target='], '--target needs a value'],
    [['run', '--local', '--version'], "Unknown option '--version'"],
    [['check'], 'check needs --url URL'],
    [['check', '--url', 'postgres://db/shop', '--target', 'shop'], '--target needs --config'],
    [['suggest', '--url', 'postgres://db/shop', '--fraction', '1.5'], fractionRange],
    [['suggest', '--url', 'postgres://db/shop', '--fraction', '0'], fractionRange],
    [
      ['check', '--url', 'postgres://app@db/shop', 'postgres://app:hunter2@db/shop'],
      'unexpected argument "postgres://app:***@db/shop" for check',
    ],
  ])('exits 2 for %j with one line saying what is wrong, and the hint', async (argv, message) => {
    const { code, stdout, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`restore-drill: ${message}\nRun "restore-drill --help" for usage.`);
  });
});

describe('restore-drill suggest with a mysql:// URL', () => {
  it.each([
    ['mysql://root:pw@db', 'a mysql:// URL needs its database: mysql://user@host:3306/database'],
    [
      'mysql://root:pw@db/shop?sslmode=require',
      'a mysql:// URL takes one parameter, ssl-mode: DISABLED, REQUIRED, VERIFY_IDENTITY',
    ],
  ])(
    'refuses %s before connecting, in one line without its password (exit 2)',
    async (url, message) => {
      const { code, stdout, stderr } = await cli('suggest', '--url', url);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(`restore-drill: ${message}\nRun "restore-drill --help" for usage.`);
    },
  );

  it('says in its help that it reads MySQL-family databases too', async () => {
    const { stdout } = await cli('suggest', '--help');
    expect(stdout).toContain('mysql://user@host:3306/database[?ssl-mode=...]');
    expect(stdout).toContain('PostgreSQL or MySQL-family (MySQL, MariaDB, Aurora MySQL)');
  });
});
