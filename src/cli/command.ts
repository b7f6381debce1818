import { parseArgs as parseStrictly } from 'node:util';
import type { ArgsDef, CommandDef, CommandMeta, ParsedArgs } from 'citty';
import { ConfigError } from '#core/errors.ts';

/** Where a command writes: the process's streams, or a test's buffers. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const EXIT = { PASS: 0, FAIL: 1, USAGE: 2, ERROR: 3, INTERRUPTED: 130 } as const;

/** A subcommand: citty's definition, the text its --help ends with, and what it runs. */
export type CliCommand<T extends ArgsDef = ArgsDef> = CommandDef<T> & {
  meta: CommandMeta & { name: string; description: string };
  /** Printed after the options in --help: exit codes, examples, what the command needs. */
  notes?: string;
};

/** What citty hands a command's `run` through `data`. */
interface RunData {
  io: Io;
  exit: { code: number };
}

interface CommandSpec<T extends ArgsDef> {
  meta: CliCommand['meta'];
  args?: T;
  notes?: string;
  subCommands?: CommandDef['subCommands'];
  run?: (args: ParsedArgs<T>, io: Io) => Promise<number>;
}

/**
 * Defines a subcommand whose `run` gets its parsed flags and the io, and returns the exit code.
 * Its module stays light: what the command needs beyond citty and the core's errors it imports
 * inside `run`, so --help and a refused flag never load a database engine or an AWS client.
 */
export function defineCliCommand<const T extends ArgsDef>(spec: CommandSpec<T>): CliCommand {
  const { run, args, ...rest } = spec;
  const command: CliCommand = { ...rest, args: args ?? {} };
  if (run) {
    command.run = async ({ args: parsed, data }) => {
      const { io, exit } = data as RunData;
      exit.code = await run(parsed as ParsedArgs<T>, io);
    };
  }
  return command;
}

/**
 * Checks a command line against a command's definition the way node:util's strict parser does:
 * citty's own parser accepts unknown flags and stray words, and a typo must not quietly drill
 * something else. Also refuses empty values, which would read as "not given".
 */
export function checkCommandLine(argv: string[], command: CliCommand, path: string): void {
  const args = (command.args ?? {}) as ArgsDef;
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  const positionals: { name: string; required: boolean }[] = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === 'positional') {
      positionals.push({ name, required: def.required !== false && def.default === undefined });
      continue;
    }
    options[name] = { type: def.type === 'boolean' ? 'boolean' : 'string' };
  }
  let parsed: ReturnType<typeof parseStrictly>;
  try {
    parsed = parseStrictly({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    // node's messages go on with advice about '--' that does not apply here: keep the first part.
    throw new ConfigError((error as Error).message.split(/\.\s|\n/)[0] ?? String(error));
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === '') throw new ConfigError(`--${name} needs a value`);
  }
  for (const [name, def] of Object.entries(args)) {
    if (def.type !== 'positional' && def.required && parsed.values[name] === undefined) {
      const hint = def.type === 'boolean' ? '' : ` ${def.valueHint ?? 'VALUE'}`;
      throw new ConfigError(`${path} needs --${name}${hint}`);
    }
  }
  const extra = parsed.positionals.slice(positionals.length);
  if (extra.length) {
    throw new ConfigError(`unexpected argument "${extra.join(' ')}" for ${path}`);
  }
  const missing = positionals.slice(parsed.positionals.length).find((p) => p.required);
  if (missing) {
    // As help shows it: the argument's name in capitals.
    throw new ConfigError(`${path} needs ${missing.name.toUpperCase()}`);
  }
}
