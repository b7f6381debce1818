import type { ParsedArgs } from 'citty';
import type { IntegrityOptions, Target } from '#core/config.ts';
import { ConfigError } from '#core/errors.ts';
import type { ConnectionInfo, DatabaseVerifier } from '#core/ports.ts';
import type { CheckResult } from '#core/state.ts';
import { defineCliCommand, EXIT, type Io } from './command.ts';
import type { DatabaseUrl } from './database-url.ts';
import type { Session, SessionFacts } from './pg-session.ts';

const args = {
  url: {
    type: 'string',
    required: true,
    valueHint: 'URL',
    description:
      'the database to check: postgres://user@host:5432/database[?sslmode=...] or mysql://user@host:3306/database[?ssl-mode=...]',
  },
  config: {
    type: 'string',
    valueHint: 'FILE',
    description: "drill configuration (JSON) whose target's checks to run",
  },
  target: {
    type: 'string',
    valueHint: 'NAME',
    description: 'the target of the configuration (needed when it has several)',
  },
  json: {
    type: 'boolean',
    description: 'print exactly one JSON report on stdout',
  },
} as const;

type CheckFlags = ParsedArgs<typeof args>;

export default defineCliCommand({
  meta: {
    name: 'check',
    description: "Run a target's checks against a live database, by hand",
  },
  args,
  notes: `Runs the checks of a drill against any PostgreSQL, MySQL or MariaDB database it can reach
(a replica, a copy restored by hand, production) without a snapshot or a copy: a target's
checks from --config, or without it connectivity and every integrity check the engine has.
Freshness is measured against now. It only reads: every check runs in a read-only
transaction, and on PostgreSQL the integrity check runs only where amcheck is installed
already (else it is SKIP).

  restore-drill check --url postgres://app@db.example.com/shop?sslmode=verify-full
  restore-drill check --url postgres://app@10.0.0.5/shop --config drills.json --target shop
  restore-drill check --url mysql://app@10.0.0.6/shop?ssl-mode=REQUIRED

The password comes from the URL, else PGPASSWORD or MYSQL_PWD, else a prompt on the
terminal; it is never echoed. PostgreSQL's sslmode (in the URL, else PGSSLMODE): disable,
allow or prefer (the default: TLS if the server offers it, not verified), require (TLS, not
verified), verify-full (certificate and host name, against Node's CA store or
sslrootcert=FILE). MySQL's ssl-mode: DISABLED (the default), REQUIRED, VERIFY_IDENTITY.

Exit codes: 0 PASS, 1 FAIL (a check failed), 2 usage or configuration error,
            3 ERROR (cannot connect, or a check could not run)`,
  run: checkDatabase,
});

/** What to check: the configured target's name, engine, database and checks, or defaults. */
interface Chosen {
  name?: string;
  engine: string;
  database?: string;
  checks: Target['checks'];
  /** The target's `timeouts.verifyMinutes`: how long the checks may take in all. */
  verifyMinutes: number;
}

/**
 * Sessions the walks share where the configuration says nothing: the database's size and
 * class are unknown here, and two keep a live server's load modest.
 */
const CHECK_SESSIONS = 2;

/** Runs every check of `chosen` to the end, in as many verifier calls as its size takes. */
async function verifyChosen(
  verifier: DatabaseVerifier,
  connection: ConnectionInfo,
  checks: Target['checks'],
  chosen: Chosen,
  recoveryPoint: Date,
): Promise<{ checks: CheckResult[]; calls: number }> {
  const { verifyInCalls } = await import('#core/verification.ts');
  const request = {
    connection,
    checks,
    recoveryPoint,
    parallel: checks.parallel ?? CHECK_SESSIONS,
  };
  const run = await verifyInCalls(verifier, request, chosen.verifyMinutes);
  if (!checks.baseline) return run;
  // Said, never silently left out: a baseline belongs to a drill's copy.
  const baseline: CheckResult = {
    name: 'baseline',
    status: 'SKIP',
    message:
      "not run by check: a baseline compares a drill's restored copy with its source at snapshot time, or with the last good copy",
    ms: 0,
  };
  return { ...run, checks: [...run.checks, baseline] };
}

async function chooseTarget(flags: CheckFlags, family: DatabaseUrl['engine']): Promise<Chosen> {
  if (flags.config === undefined) {
    if (flags.target !== undefined) throw new ConfigError('--target needs --config');
    // The checks every target has unless it says otherwise: connectivity and integrity.
    const { parseWith, targetSchema } = await import('#core/config.ts');
    const defaults = {
      name: 'check',
      engine: family,
      database: family === 'mysql' ? 'check' : 'postgres',
      source: { instance: 'check' },
    };
    const { checks, timeouts } = parseWith(targetSchema, defaults, 'checks');
    return { engine: family, checks, verifyMinutes: timeouts.verifyMinutes };
  }
  const { configuredTargets } = await import('./config-file.ts');
  const targets = await configuredTargets(flags.config, flags.target);
  const [target, ...more] = targets;
  if (!target || more.length) {
    throw new ConfigError(
      `${flags.config} has ${targets.length} targets: choose one with --target (${targets.map((t) => t.name).join(', ')})`,
    );
  }
  const isPostgres = target.engine === 'postgres' || target.engine === 'aurora-postgresql';
  if (isPostgres !== (family === 'postgres')) {
    throw new ConfigError(
      `target ${target.name} is ${target.engine}: a ${family}:// URL checks ${family === 'postgres' ? 'PostgreSQL' : 'MySQL-family'} targets`,
    );
  }
  const { name, engine, database, checks, timeouts } = target;
  return { name, engine, database, checks, verifyMinutes: timeouts.verifyMinutes };
}

/**
 * The integrity checks as this session can run them. The index and heap checks need amcheck,
 * and where it is missing the verifier would create it, a write: check only reads, so they are
 * SKIP with the reason there (read-all needs no extension and still runs).
 */
function integrityHere(
  checks: Target['checks'],
  wanted: IntegrityOptions | undefined,
  facts: SessionFacts,
  database: string,
) {
  if (!wanted || facts.amcheck || (!wanted.indexes && !wanted.heap)) return { checks };
  const why = `not run: the amcheck extension is not installed in "${database}", and check only reads: install it there (create extension amcheck) to have this verified`;
  const skipped: CheckResult[] = [
    ...(wanted.indexes
      ? [{ name: 'integrity', status: 'SKIP' as const, message: why, ms: 0 }]
      : []),
    ...(wanted.heap ? [{ name: 'heap', status: 'SKIP' as const, message: why, ms: 0 }] : []),
  ];
  const integrity = { ...wanted, indexes: false, parentCheck: false, heap: false };
  return { checks: { ...checks, integrity }, skipped };
}

/** A session opened and read (what it may do), or why it could not be. */
type Connected =
  | { ok: true; session: Session; facts: SessionFacts }
  | { ok: false; reason: string; ms: number };

/**
 * Opens the session the checks are planned with, reads what it may do and closes it; the
 * verifier then opens its own with the same settings. A password the server asked for is
 * asked for here, once.
 */
async function connect(url: DatabaseUrl, database: string, user: string): Promise<Connected> {
  const { passwordFrom, terminalPrompt } = await import('./database-url.ts');
  const { connectionProblem, openSession, sessionFacts } = await import('./pg-session.ts');
  const start = performance.now();
  try {
    const session = await openSession(url, {
      database,
      user,
      password: passwordFrom(url, process.env),
      prompt: terminalPrompt(),
    });
    try {
      return { ok: true, session, facts: await sessionFacts(session.client) };
    } finally {
      await session.client.end().catch(() => undefined);
    }
  } catch (error) {
    if (
      error instanceof ConfigError ||
      (error instanceof Error && error.name === 'PromptInterrupted')
    ) {
      throw error;
    }
    return {
      ok: false,
      reason: connectionProblem(error),
      ms: Math.round(performance.now() - start),
    };
  }
}

async function checkDatabase(flags: CheckFlags, io: Io): Promise<number> {
  const startedAt = new Date();
  const { derivedTargetName, describeUrl, endpointOf, parseDatabaseUrl, userFrom } = await import(
    './database-url.ts'
  );
  const url = parseDatabaseUrl(flags.url, process.env);
  const chosen = await chooseTarget(flags, url.engine);
  if (url.engine === 'mysql') return checkMysql(url, chosen, flags, io, startedAt);
  const database = url.database ?? chosen.database ?? 'postgres';
  const user = userFrom(url, process.env);
  const name = chosen.name ?? derivedTargetName(url, database);
  // Resolved into url.sslMode: pg must not apply it again to a connection made without TLS.
  delete process.env.PGSSLMODE;

  const { seconds } = await import('#core/report.ts');
  io.stderr(`Check of ${name} at ${describeUrl(url, database, user)}`);
  io.stderr('  Connect ...');
  const connectStart = Date.now();
  let connected: Connected;
  try {
    connected = await connect(url, database, user);
  } catch (error) {
    if ((error as Error).name !== 'PromptInterrupted') throw error;
    io.stderr('Interrupted.');
    return EXIT.INTERRUPTED;
  }

  let verification: {
    startedAt: Date;
    finishedAt: Date;
    checks: CheckResult[];
    invocations?: number;
  };
  if (connected.ok) {
    const { session, facts } = connected;
    const how = session.tls === 'none' ? 'no TLS' : `TLS ${session.tls}`;
    io.stderr(
      `  Connect done in ${seconds(Date.now() - connectStart)} (PostgreSQL ${facts.serverVersion}, ${how})`,
    );
    const { integrityOf } = await import('#core/config.ts');
    const wanted = integrityOf(chosen.checks);
    const { checks, skipped } = integrityHere(chosen.checks, wanted, facts, database);
    io.stderr('  Verify ...');
    const { PostgresVerifier } = await import('#adapters/postgres/verifier.ts');
    const verifyStart = new Date();
    // There is no snapshot: the recovery point is now, and freshness is measured against it.
    const { checks: results, calls } = await verifyChosen(
      new PostgresVerifier(),
      session.connection,
      checks,
      chosen,
      verifyStart,
    );
    if (skipped) results.splice(results[0]?.name === 'connectivity' ? 1 : 0, 0, ...skipped);
    verification = {
      startedAt: verifyStart,
      finishedAt: new Date(),
      checks: results,
      invocations: calls,
    };
    io.stderr(
      `  Verify done in ${seconds(verification.finishedAt.getTime() - verifyStart.getTime())}`,
    );
  } else {
    // Not connected: the report says why, and nothing else ran.
    io.stderr(`  Connect failed: ${connected.reason}`);
    const finishedAt = new Date();
    verification = {
      startedAt: new Date(finishedAt.getTime() - connected.ms),
      finishedAt,
      checks: [
        { name: 'connectivity', status: 'ERROR', message: connected.reason, ms: connected.ms },
      ],
    };
  }

  return printReport(
    {
      target: name,
      engine: chosen.engine,
      database,
      endpoint: endpointOf(url),
      tls: connected.ok ? connected.session.tls : 'none',
      startedAt,
      verification,
      finishedAt: new Date(),
    },
    flags,
    io,
  );
}

/** The check's report on stdout (as text, or one JSON object), and the exit code of its verdict. */
async function printReport(
  check: Parameters<typeof import('#core/report.ts').checkReport>[0],
  flags: CheckFlags,
  io: Io,
): Promise<number> {
  const { checkReport, renderText } = await import('#core/report.ts');
  const report = checkReport(check);
  io.stdout(flags.json ? JSON.stringify(report, null, 2) : `${renderText(report)}\n`);
  return EXIT[report.status];
}

/**
 * `check` of a MySQL, MariaDB or Aurora MySQL database: the MySQL-family verifier itself
 * connects (its connectivity check says why it could not) and runs every check read-only.
 */
async function checkMysql(
  url: DatabaseUrl,
  chosen: Chosen,
  flags: CheckFlags,
  io: Io,
  startedAt: Date,
): Promise<number> {
  const { derivedTargetName, describeUrl, endpointOf, mysqlConnection } = await import(
    './database-url.ts'
  );
  const { connection, tls } = await mysqlConnection(
    flags.url,
    url,
    flags.config === undefined ? undefined : chosen.database,
  );
  const { database, user } = connection;
  const name = chosen.name ?? derivedTargetName(url, database);

  const { seconds } = await import('#core/report.ts');
  const { verifierFor } = await import('#adapters/verifiers.ts');
  io.stderr(`Check of ${name} at ${describeUrl(url, database, user)}`);
  io.stderr('  Verify ...');
  const verifyStart = new Date();
  const engine = chosen.engine === 'postgres' ? 'mysql' : (chosen.engine as Target['engine']);
  // There is no snapshot: the recovery point is now, and freshness is measured against it.
  const { checks, calls } = await verifyChosen(
    verifierFor(engine),
    { ...connection, engine },
    chosen.checks,
    chosen,
    verifyStart,
  );
  const finishedAt = new Date();
  io.stderr(`  Verify done in ${seconds(finishedAt.getTime() - verifyStart.getTime())}`);
  return printReport(
    {
      target: name,
      engine,
      database,
      endpoint: endpointOf(url),
      tls,
      startedAt,
      verification: { startedAt: verifyStart, finishedAt, checks, invocations: calls },
      finishedAt,
    },
    flags,
    io,
  );
}
