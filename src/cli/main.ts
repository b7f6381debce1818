import { stripVTControlCharacters } from 'node:util';
import { awsProblem } from '#adapters/aws/problems.ts';
import { ConfigError } from '#core/errors.ts';
import packageJson from '../../package.json' with { type: 'json' };
import { type CliCommand, checkCommandLine, EXIT, type Io } from './command.ts';
import { redactUrlPasswords } from './database-url.ts';

export { EXIT } from './command.ts';

const processIo: Io = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
};

type LazyCommands = Record<string, () => Promise<CliCommand>>;

/** Each subcommand's module is loaded only when that subcommand (or the overall help) asks. */
const subCommands: LazyCommands = {
  run: () => import('./run.ts').then((m) => m.default),
  check: () => import('./check.ts').then((m) => m.default),
  suggest: () => import('./suggest.ts').then((m) => m.default),
  start: () => import('./start.ts').then((m) => m.default),
  status: () => import('./status.ts').then((m) => m.default),
  history: () => import('./history.ts').then((m) => m.default),
  config: () => import('./config.ts').then((m) => m.default),
};

const root: CliCommand = {
  meta: {
    name: 'restore-drill',
    version: packageJson.version,
    description: 'Snapshot-and-verify restore drills for Amazon RDS, and on this machine',
  },
  subCommands,
  notes: `Examples:
  restore-drill run --local                       a drill of a demo database, no AWS account
  restore-drill run --local --config drills.json  the local targets of a configuration
  restore-drill run --config rds.json             Amazon RDS targets, drilled from here
  restore-drill check --url URL                   a live database's checks, by hand
  restore-drill suggest --url URL                 checks for it, from its catalog
  restore-drill config push rds.json              the deployed stack's configuration
  restore-drill start --target orders --wait      a drill on the deployed stack, followed
  restore-drill history --target orders           its recent drills and their verdicts

start, status, history and config work on a deployed stack (--stack, default restore-drill),
with the AWS SDK's own settings: AWS_PROFILE or other credentials, AWS_REGION, AWS_ENDPOINT_URL.

Exit codes: 0 PASS, 1 FAIL (a check failed), 2 usage or configuration error (nothing ran),
            3 ERROR (the drill could not complete, or AWS refused the request),
            130 interrupted (Ctrl-C)`,
};

const helpFlags = new Set(['--help', '-h']);
const versionFlags = new Set(['--version', '-v']);

/** The subcommand the leading words name (`config push`), and the words after them. */
async function resolveCommand(argv: string[]) {
  let command = root;
  const path = [root.meta.name];
  let rest = argv;
  while (command.subCommands) {
    const children = command.subCommands as LazyCommands;
    const [word] = rest;
    const load = word === undefined ? undefined : children[word];
    if (!word || !load || !Object.hasOwn(children, word)) break;
    command = await load();
    path.push(word);
    rest = rest.slice(1);
  }
  return { command, path, rest };
}

/** A command's --help: citty's usage, as plain text, then the command's own notes. */
async function helpOf(command: CliCommand, path: string[]): Promise<string> {
  const parent =
    path.length > 1
      ? { meta: { name: path.slice(0, -1).join(' '), version: root.meta.version } }
      : undefined;
  // citty only renders help and runs a command: --version and a refused flag never load it.
  const { renderUsage } = await import('citty');
  const usage = stripVTControlCharacters(await renderUsage(command, parent))
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim();
  return command.notes ? `${usage}\n\n${command.notes}` : usage;
}

/** Why a line that names no runnable command cannot run. */
function missingCommand(command: CliCommand, path: string[], word: string | undefined): string {
  const where = path.slice(1).join(' ');
  const choices = Object.keys(command.subCommands as LazyCommands).join(', ');
  if (word === undefined) return where ? `${where} needs a command: ${choices}` : 'missing command';
  if (word.startsWith('-')) return `${word} comes after a command (${choices})`;
  return `unknown command "${where ? `${where} ` : ''}${word}"`;
}

/** Runs the CLI and returns its exit code; never throws. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    const options = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
    const { command, path, rest } = await resolveCommand(argv);
    if (options.some((word) => helpFlags.has(word))) {
      io.stdout(await helpOf(command, path));
      return EXIT.PASS;
    }
    if (command === root && rest.length === 1 && versionFlags.has(rest[0] ?? '')) {
      io.stdout(String(root.meta.version));
      return EXIT.PASS;
    }
    if (command.subCommands) throw new ConfigError(missingCommand(command, path, rest[0]));
    checkCommandLine(rest, command, path.slice(1).join(' '));
    const exit = { code: EXIT.ERROR as number };
    const { runCommand } = await import('citty');
    await runCommand(command, { rawArgs: rest, data: { io, exit } });
    return exit.code;
  } catch (error) {
    // A database URL given in the wrong place may carry a password: never repeat it.
    if (error instanceof ConfigError || (error as Error).name === 'CLIError') {
      const message = redactUrlPasswords(stripVTControlCharacters((error as Error).message));
      io.stderr(`restore-drill: ${message}`);
      io.stderr('Run "restore-drill --help" for usage.');
      return EXIT.USAGE;
    }
    // AWS refusing the caller's set-up (credentials, region, endpoint, IAM) is an ERROR too,
    // said in one line that names what to fix.
    io.stderr(
      `restore-drill: ${redactUrlPasswords(awsProblem(error) ?? (error as Error).message)}`,
    );
    return EXIT.ERROR;
  }
}
