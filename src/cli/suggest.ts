import { DEFAULT_FRACTION, type Suggestion } from '#adapters/suggest-rules.ts';
import { ConfigError } from '#core/errors.ts';
import { defineCliCommand, EXIT } from './command.ts';
import type { DatabaseUrl } from './database-url.ts';

const args = {
  url: {
    type: 'string',
    required: true,
    valueHint: 'URL',
    description:
      'the database to read: postgres://user@host:5432/database[?sslmode=...] or mysql://user@host:3306/database[?ssl-mode=...]',
  },
  fraction: {
    type: 'string',
    valueHint: 'F',
    description: "minRows as this fraction of each table's current rows (default 0.9)",
  },
} as const;

/** `--fraction`: a number above 0 and at most 1. */
export function parseFraction(value: string | undefined): number {
  if (value === undefined) return DEFAULT_FRACTION;
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
  notes: `Reads the catalog of a PostgreSQL or MySQL-family (MySQL, MariaDB, Aurora MySQL) database,
in a read-only transaction, and prints a "checks" object for its target on stdout, as JSON:
for each of the 10 largest tables, minRows at --fraction of its rows now (counted exactly
below a million estimated rows, the estimate of PostgreSQL's planner or of information_schema
above), freshness on its newest date or timestamp column (created_at, updated_at, inserted_at,
modified_at first) at twice the newest value's age, rounded up to the hour and at least a
day, the columns with their types; and integrity. Paste it into the target as "checks", then
try it with restore-drill check --url URL --config FILE.

  restore-drill suggest --url postgres://app@db.example.com/shop --fraction 0.8
  restore-drill suggest --url mysql://app@db.example.com:3306/shop?ssl-mode=VERIFY_IDENTITY

Connects as check does (for PostgreSQL the password, sslmode; for a mysql:// URL its
database, ssl-mode, the password from the URL, MYSQL_PWD or a prompt). Exit codes:
0 printed, 2 usage error, 3 cannot connect or read the catalog.`,
  run: async (flags, io) => {
    const { parseDatabaseUrl, PromptInterrupted } = await import('./database-url.ts');
    const url = parseDatabaseUrl(flags.url, process.env);
    const fraction = parseFraction(flags.fraction);
    try {
      const read = url.engine === 'mysql' ? suggestMysql : suggestPostgres;
      const outcome = await read(flags.url, url, fraction);
      if (!outcome.ok) {
        io.stderr(`restore-drill: ${outcome.problem}`);
        return EXIT.ERROR;
      }
      const { suggestion, database } = outcome;
      io.stdout(JSON.stringify(suggestion.checks, null, 2));
      for (const note of suggestion.notes) io.stderr(`  ${note}`);
      const count = Object.keys(suggestion.checks.tables).length;
      io.stderr(
        `Checks for ${count} tables of "${database}": put this object in the configuration as the "checks" of its target, then try it with restore-drill check --url URL --config FILE`,
      );
      return EXIT.PASS;
    } catch (error) {
      if (!(error instanceof PromptInterrupted)) throw error;
      io.stderr('Interrupted.');
      return EXIT.INTERRUPTED;
    }
  },
});

/** A suggestion read from a database, or why it could not be: it could not connect or read. */
type Outcome =
  | { ok: true; suggestion: Suggestion; database: string }
  | { ok: false; problem: string };

/** A PostgreSQL database, connected to as check connects to it (password, sslmode). */
async function suggestPostgres(
  _text: string,
  url: DatabaseUrl,
  fraction: number,
): Promise<Outcome> {
  const { describeUrl, passwordFrom, terminalPrompt, userFrom } = await import('./database-url.ts');
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
    if (error instanceof ConfigError || (error as Error).name === 'PromptInterrupted') throw error;
    return { ok: false, problem: `cannot connect to ${where}: ${connectionProblem(error)}` };
  }
  const { suggestChecks } = await import('#adapters/postgres/suggest.ts');
  try {
    return { ok: true, suggestion: await suggestChecks(session.client, { fraction }), database };
  } catch (error) {
    return {
      ok: false,
      problem: `cannot read the catalog of ${where}: ${connectionProblem(error)}`,
    };
  } finally {
    await session.client.end().catch(() => undefined);
  }
}

/** A MySQL, MariaDB or Aurora MySQL database, connected to as check connects to it. */
async function suggestMysql(text: string, url: DatabaseUrl, fraction: number): Promise<Outcome> {
  const { describeUrl, mysqlConnection } = await import('./database-url.ts');
  const { connection } = await mysqlConnection(text, url, undefined);
  const { database, user } = connection;
  const where = describeUrl(url, database, user);

  const { errorText } = await import('#adapters/checks.ts');
  const { Session } = await import('#adapters/mysql/verifier.ts');
  const session = new Session(connection);
  try {
    try {
      await session.open();
    } catch (error) {
      return { ok: false, problem: `cannot connect to ${where}: ${errorText(error)}` };
    }
    const { suggestChecks } = await import('#adapters/mysql/suggest.ts');
    try {
      return { ok: true, suggestion: await suggestChecks(session, { fraction }), database };
    } catch (error) {
      return { ok: false, problem: `cannot read the catalog of ${where}: ${errorText(error)}` };
    }
  } finally {
    session.close();
  }
}
