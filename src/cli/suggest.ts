import { ConfigError } from '#core/errors.ts';
import { defineCliCommand, EXIT } from './command.ts';

const args = {
  url: {
    type: 'string',
    required: true,
    valueHint: 'URL',
    description: 'the database to read: postgres://user@host:5432/database[?sslmode=...]',
  },
  fraction: {
    type: 'string',
    valueHint: 'F',
    description: "minRows as this fraction of each table's current rows (default 0.9)",
  },
} as const;

/** `--fraction`: a number above 0 and at most 1. */
export function parseFraction(value: string | undefined): number {
  if (value === undefined) return 0.9;
  const fraction = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(fraction > 0 && fraction <= 1)) {
    throw new ConfigError(`--fraction must be a number above 0 and at most 1, e.g. 0.9`);
  }
  return fraction;
}

export default defineCliCommand({
  meta: {
    name: 'suggest',
    description: "Propose a target's checks from a live database's catalog",
  },
  args,
  notes: `Reads the catalog of a PostgreSQL database, in a read-only transaction, and prints a
"checks" object for its target on stdout, as JSON: for each of the 10 largest user tables,
minRows at --fraction of its rows now (counted exactly below a million estimated rows, the
planner's estimate above), freshness on its newest date or timestamp column (created_at,
updated_at, inserted_at, modified_at first) at twice the newest value's age, rounded up to the
hour and at least a day, the columns with their types; and integrity. Paste it into the target
as "checks", then try it with restore-drill check --url URL --config FILE.

  restore-drill suggest --url postgres://app@db.example.com/shop --fraction 0.8

Connects as check does (password, sslmode). Exit codes: 0 printed, 2 usage error,
3 cannot connect or read the catalog.`,
  run: async (flags, io) => {
    const {
      describeUrl,
      mysqlNotSuggested,
      parseDatabaseUrl,
      passwordFrom,
      PromptInterrupted,
      terminalPrompt,
      userFrom,
    } = await import('./database-url.ts');
    const url = parseDatabaseUrl(flags.url, process.env);
    if (url.engine === 'mysql') {
      io.stderr(`restore-drill: ${mysqlNotSuggested}`);
      return EXIT.USAGE;
    }
    const fraction = parseFraction(flags.fraction);
    const database = url.database ?? 'postgres';
    const user = userFrom(url, process.env);
    const where = describeUrl(url, database, user);

    const { connectionProblem, openSession } = await import('./pg-session.ts');
    let session: Awaited<ReturnType<typeof openSession>>;
    try {
      session = await openSession(url, {
        database,
        user,
        password: passwordFrom(url, process.env),
        prompt: terminalPrompt(),
      });
    } catch (error) {
      if (error instanceof PromptInterrupted) {
        io.stderr('Interrupted.');
        return EXIT.INTERRUPTED;
      }
      if (error instanceof ConfigError) throw error;
      io.stderr(`restore-drill: cannot connect to ${where}: ${connectionProblem(error)}`);
      return EXIT.ERROR;
    }
    const { suggestChecks } = await import('#adapters/postgres/suggest.ts');
    let suggestion: Awaited<ReturnType<typeof suggestChecks>>;
    try {
      suggestion = await suggestChecks(session.client, { fraction });
    } catch (error) {
      io.stderr(`restore-drill: cannot read the catalog of ${where}: ${connectionProblem(error)}`);
      return EXIT.ERROR;
    } finally {
      await session.client.end().catch(() => undefined);
    }
    io.stdout(JSON.stringify(suggestion.checks, null, 2));
    for (const note of suggestion.notes) io.stderr(`  ${note}`);
    const count = Object.keys(suggestion.checks.tables).length;
    io.stderr(
      `Checks for ${count} tables of "${database}": put this object in the configuration as the "checks" of its target, then try it with restore-drill check --url URL --config FILE`,
    );
    return EXIT.PASS;
  },
});
