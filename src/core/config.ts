import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { ConfigError } from './errors.ts';

// zod/mini (a few KB in a bundle, where full zod is over 400 KB) with zod's English messages.
z.config(en());

const nonEmpty = () => z.string().check(z.minLength(1));
const secretArn = () =>
  z
    .string()
    .check(
      z.regex(
        /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/,
        'must be a Secrets Manager secret ARN',
      ),
    );
const positive = () => z.number().check(z.positive());

/** A SQL identifier, optionally schema-qualified: `orders` or `sales.orders`. */
const qualifiedName = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/,
      'must be a table name, e.g. "orders" or "sales.orders"',
    ),
  );

const columnName = z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'must be a column name'));

const expectation = z
  .strictObject({
    equals: z.optional(z.union([z.number(), z.string(), z.boolean()])),
    min: z.optional(z.number()),
    max: z.optional(z.number()),
  })
  .check(
    z.refine((e) => e.equals !== undefined || e.min !== undefined || e.max !== undefined, {
      message: 'needs at least one of equals, min, max',
    }),
  );

const sqlAssertion = z.strictObject({
  name: nonEmpty(),
  query: nonEmpty(),
  expect: expectation,
});

const tableCheck = z.strictObject({
  minRows: z.optional(z.int().check(z.nonnegative())),
  /** Columns the table must have, each with its type as the engine names it (`bigint`, `text`). */
  columns: z.optional(z.record(columnName, nonEmpty())),
  freshness: z.optional(
    z.strictObject({ column: columnName, maxAgeMinutes: z.number().check(z.positive()) }),
  ),
});

/** What the integrity check covers; `true` is every default below, `false` none of it. */
const integrityOptions = z.strictObject({
  /** PostgreSQL: amcheck on every B-tree index, with every heap tuple looked up in it. */
  indexes: z._default(z.boolean(), true),
  /** PostgreSQL: the stronger bt_index_parent_check (it blocks writes: fine on a copy). */
  parentCheck: z._default(z.boolean(), false),
  /** PostgreSQL: verify_heapam on every user table and its TOAST table. */
  heap: z._default(z.boolean(), true),
  /** Every engine: read every user table end to end (a damaged page fails a plain read). */
  readAll: z._default(z.boolean(), true),
  /** MySQL-family engines: the mode of CHECK TABLE on every table. */
  checkTable: z._default(z.enum(['quick', 'medium', 'extended']), 'medium'),
});
export type IntegrityOptions = z.infer<typeof integrityOptions>;
const INTEGRITY_DEFAULTS: IntegrityOptions = z.parse(integrityOptions, {});

/** Most sessions a verification opens on a copy at once. */
const MAX_PARALLEL = 16;

/** The database a target's checks connect to when it names none: PostgreSQL's own. */
const DEFAULT_DATABASE = 'postgres';

/**
 * The source's tables and their estimated rows, recorded when its snapshot is taken, that the
 * restored copy must match: a table missing from the copy, or counted far below the baseline,
 * FAILs.
 */
const baselineOptions = z.strictObject({
  /** How far below the baseline's estimate a table's count may fall, in percent, and pass. */
  tolerancePercent: z._default(z.number().check(z.minimum(0), z.maximum(100)), 50),
  /** Tables the baseline counts fewer rows in are checked for presence only: estimates of small tables are rough. */
  minRows: z._default(z.int().check(z.nonnegative()), 1000),
  /**
   * A Secrets Manager secret of a read-only user on the source, for reading its catalog at
   * snapshot time. Without one, or when the source cannot be read, the baseline is the last
   * restored copy that passed every check.
   */
  sourceSecretArn: z.optional(secretArn()),
});
export type BaselineOptions = z.infer<typeof baselineOptions>;

const checks = z.strictObject({
  integrity: z._default(z.union([z.boolean(), integrityOptions]), true),
  tables: z._default(z.record(qualifiedName, tableCheck), {}),
  sql: z._default(z.array(sqlAssertion), []),
  /** Upper bound for each custom SQL assertion. */
  statementTimeoutSeconds: z._default(z.number().check(z.positive(), z.maximum(3600)), 60),
  /**
   * Sessions the integrity and read checks share their work over; by default, sized to the
   * copy's instance class (see `verifySessions`).
   */
  parallel: z.optional(z.int().check(z.minimum(1), z.maximum(MAX_PARALLEL))),
  baseline: z.optional(baselineOptions),
});

/** An RDS identifier as RDS stores it: letters, digits, single hyphens, starting with a letter. */
const rdsIdentifier = z
  .string()
  .check(
    z.maxLength(63),
    z.regex(
      /^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$/,
      'must be an RDS identifier: letters, digits and single hyphens, starting with a letter',
    ),
  );

/**
 * Where the source lives: a PGlite data directory (local runs), an RDS DB instance, or an Aurora
 * DB cluster.
 */
const source = z.union(
  [
    z.strictObject({ dataDir: nonEmpty() }),
    z.strictObject({ instance: rdsIdentifier }),
    z.strictObject({ cluster: rdsIdentifier }),
  ],
  {
    error:
      'must be one of {"dataDir": "<PGlite directory>"}, {"instance": "<DB instance id>"}, {"cluster": "<Aurora cluster id>"}',
  },
);

/**
 * The engines a target can name, as Amazon RDS names them: PostgreSQL's (`postgres`, and
 * `aurora-postgresql` clusters) get the PostgreSQL checks, the MySQL family's (`mysql`,
 * `mariadb`, and `aurora-mysql` clusters) the MySQL ones.
 */
export const engines = [
  'postgres',
  'aurora-postgresql',
  'mysql',
  'mariadb',
  'aurora-mysql',
] as const;
export type Engine = (typeof engines)[number];
const engine = z.enum(engines, { error: `must be one of ${engines.join(', ')}` });

/** Whether an engine speaks MySQL's protocol and gets its checks (MySQL, MariaDB, Aurora MySQL). */
export const isMysqlFamily = (engine: Engine): boolean =>
  engine === 'mysql' || engine === 'mariadb' || engine === 'aurora-mysql';

/** The Aurora engine a cluster of this engine's family runs. */
const auroraOf = (engine: Engine): Engine =>
  isMysqlFamily(engine) ? 'aurora-mysql' : 'aurora-postgresql';

/** Which backup a drill restores. */
const recoveryPoint = z.discriminatedUnion(
  'mode',
  [
    /** A manual snapshot taken now: the drill's own, deleted at teardown. */
    z.strictObject({ mode: z.literal('new-snapshot') }),
    /** The newest available automated snapshot: the backups the team relies on. Never deleted. */
    z.strictObject({ mode: z.literal('latest-automated') }),
    /** A given snapshot id or ARN (e.g. shared from a backup account). Never deleted. */
    z.strictObject({ mode: z.literal('snapshot'), id: nonEmpty() }),
    /** A point-in-time restore: tests the transaction log archive too. */
    z.strictObject({
      mode: z.literal('point-in-time'),
      at: z.union([
        z.literal('latest'),
        z.iso.datetime({
          offset: true,
          error: 'must be "latest" or an ISO time such as 2026-11-23T03:00:00Z',
        }),
      ]),
    }),
  ],
  { error: 'mode must be one of new-snapshot, latest-automated, snapshot, point-in-time' },
);

/** A group copied from the source (`"source"`, the default) or a name. */
const groupChoice = z._default(z.union([z.literal('source'), nonEmpty()]), 'source');

/** How the restored copy is made and reached. Everything a drill copies is forced safe anyway. */
const restore = z.strictObject({
  /** Default: db.t4g.micro, or db.t4g.medium for Aurora (the smallest class it runs on). */
  instanceClass: z.optional(
    z
      .string()
      .check(
        z.regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be a DB instance class, e.g. db.t4g.micro'),
      ),
  ),
  /** The DB subnet group of the copy; default: the source's. */
  subnetGroup: z.optional(nonEmpty()),
  /** The copy's VPC security groups; default: the source's (plus the deployment's own). */
  securityGroupIds: z.optional(
    z
      .array(
        z.string().check(z.regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group id (sg-...)')),
      )
      .check(z.minLength(1)),
  ),
  parameterGroup: groupChoice,
  optionGroup: groupChoice,
  tls: z._default(
    z.strictObject({
      mode: z._default(z.enum(['verify-full', 'require', 'disable']), 'verify-full'),
      /** A PEM bundle to verify the copy's certificate with, instead of the shipped RDS bundle. */
      caFile: z.optional(nonEmpty()),
    }),
    { mode: 'verify-full' },
  ),
  credentials: z._default(
    z.union([z.literal('managed'), z.strictObject({ secretArn: secretArn() })], {
      error: 'must be "managed" or {"secretArn": "arn:aws:secretsmanager:..."}',
    }),
    'managed',
  ),
});

/** How the source's own backups are judged, every night, beside the drill's checks. */
const backupHealth = z.strictObject({
  maxRestorableLagMinutes: z._default(positive(), 60),
  maxAutomatedSnapshotAgeHours: z._default(positive(), 26),
});

const timeouts = z.strictObject({
  // Capped so that, with verification and teardown's retries, a drill ends well inside the
  // workflow's 8-hour TimeoutSeconds: a drill that times out there skips teardown.
  snapshotMinutes: z._default(z.number().check(z.positive(), z.maximum(120)), 60),
  restoreMinutes: z._default(z.number().check(z.positive(), z.maximum(240)), 90),
  /** All of verification, over as many Verify invocations as a large copy takes. */
  verifyMinutes: z._default(z.number().check(z.positive(), z.maximum(240)), 120),
});

/**
 * The most snapshot, restore and verification may take together: what the workflow's 8 hours
 * leave for teardown's retries and the report.
 */
export const MAX_DRILL_MINUTES = 420;

/**
 * Target names become part of RDS identifiers (letters, digits, single hyphens, starting with a
 * letter), so they are held to those rules here rather than failing at restore time.
 */
const targetName = z
  .string()
  .check(
    z.maxLength(30),
    z.regex(
      /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
      'must be lowercase letters, digits and single hyphens, starting with a letter',
    ),
  );

export const targetSchema = z
  .strictObject({
    name: targetName,
    engine,
    /** PostgreSQL's default; a MySQL-family target must name its own (MySQL has none). */
    database: z._default(nonEmpty(), DEFAULT_DATABASE),
    source,
    recoveryPoint: z._default(recoveryPoint, { mode: 'new-snapshot' }),
    restore: z._default(restore, {
      parameterGroup: 'source',
      optionGroup: 'source',
      tls: { mode: 'verify-full' },
      credentials: 'managed',
    }),
    backupHealth: z._default(backupHealth, {
      maxRestorableLagMinutes: 60,
      maxAutomatedSnapshotAgeHours: 26,
    }),
    timeouts: z._default(timeouts, {
      snapshotMinutes: 60,
      restoreMinutes: 90,
      verifyMinutes: 120,
    }),
    checks: z._default(checks, {
      integrity: true,
      tables: {},
      sql: [],
      statementTimeoutSeconds: 60,
    }),
  })
  .check(
    z.superRefine((target, ctx) => {
      const { source, engine } = target;
      const problem = (path: string, message: string) =>
        ctx.addIssue({ code: 'custom', path: [path], message });
      const aurora = engine.startsWith('aurora-');
      if ('cluster' in source && !aurora) {
        problem('engine', `a cluster source is Aurora: use ${auroraOf(engine)}, not ${engine}`);
      }
      if ('instance' in source && aurora) {
        problem('source', `an ${engine} source is a cluster: {"cluster": "<Aurora cluster id>"}`);
      }
      if ('dataDir' in source && engine !== 'postgres') {
        problem(
          'source',
          `a local (dataDir) source is a PGlite directory, which only the postgres engine drills, not ${engine}`,
        );
      }
      if ('dataDir' in source && target.checks.baseline?.sourceSecretArn) {
        ctx.addIssue({
          code: 'custom',
          path: ['checks', 'baseline', 'sourceSecretArn'],
          message:
            'a local (dataDir) source is never opened by a drill: its baseline is the last copy that passed',
        });
      }
      if ('dataDir' in source && target.recoveryPoint.mode !== 'new-snapshot') {
        problem('recoveryPoint', 'a local (dataDir) source is always drilled from a new snapshot');
      }
      if (isMysqlFamily(engine) && target.database === DEFAULT_DATABASE) {
        problem(
          'database',
          `a ${engine} target names the database its checks cover: MySQL has no default one (${DEFAULT_DATABASE} is PostgreSQL's)`,
        );
      }
      const { snapshotMinutes, restoreMinutes, verifyMinutes } = target.timeouts;
      if (snapshotMinutes + restoreMinutes + verifyMinutes > MAX_DRILL_MINUTES) {
        problem(
          'timeouts',
          `snapshotMinutes + restoreMinutes + verifyMinutes is ${snapshotMinutes + restoreMinutes + verifyMinutes}, at most ${MAX_DRILL_MINUTES} (the workflow's 8 hours must leave time for teardown)`,
        );
      }
      const integrity = target.checks.integrity;
      if (typeof integrity === 'object') {
        // An option the engine has no use for would do nothing: said, never silently ignored.
        const foreign = isMysqlFamily(engine)
          ? (['indexes', 'parentCheck', 'heap'] as const).filter(
              (key) => integrity[key] !== INTEGRITY_DEFAULTS[key],
            )
          : integrity.checkTable !== INTEGRITY_DEFAULTS.checkTable
            ? (['checkTable'] as const)
            : [];
        for (const key of foreign) {
          ctx.addIssue({
            code: 'custom',
            path: ['checks', 'integrity', key],
            message: isMysqlFamily(engine)
              ? `${key} is a PostgreSQL check; on ${engine}, integrity is CHECK TABLE (checkTable) and readAll`
              : `checkTable is for MySQL-family engines; on ${engine}, integrity is indexes, parentCheck, heap and readAll`,
          });
        }
      }
    }),
  );

export const configSchema = z.strictObject({
  targets: z.array(targetSchema).check(
    z.minLength(1),
    z.refine((ts) => new Set(ts.map((t) => t.name)).size === ts.length, {
      message: 'target names must be unique',
    }),
  ),
});

/** The integrity checks a target asks for, every default filled in; `undefined`: none. */
export function integrityOf(checks: Target['checks']): IntegrityOptions | undefined {
  if (checks.integrity === false) return undefined;
  return z.parse(integrityOptions, checks.integrity === true ? {} : checks.integrity);
}

/**
 * Sessions a verification opens on a copy of `instanceClass` by default: one per vCPU as the
 * class name implies (`large` 2, `xlarge` 4, `4xlarge` 16), at least 2 and at most 8, so a
 * copy's own CPUs do the work without crowding it; 1 where the class is unknown.
 */
export function verifySessions(checks: Target['checks'], instanceClass?: string): number {
  if (checks.parallel !== undefined) return checks.parallel;
  const size = instanceClass?.split('.').pop();
  if (!size) return 1;
  const times = /^(\d+)xlarge$/.exec(size)?.[1];
  const vcpus = times ? 4 * Number(times) : size === 'xlarge' ? 4 : 2;
  return Math.min(8, Math.max(2, vcpus));
}

/** The class a restored copy runs on: the target's, or the smallest its engine runs on. */
export function copyInstanceClass(restore: RestoreSettings, engine: Target['engine']): string {
  return restore.instanceClass ?? (engine.startsWith('aurora') ? 'db.t4g.medium' : 'db.t4g.micro');
}

/** A validated target, with defaults filled in. */
export type Target = z.infer<typeof targetSchema>;
export type TargetInput = z.input<typeof targetSchema>;
export type TargetSource = Target['source'];
export type RecoveryPoint = Target['recoveryPoint'];
export type RestoreSettings = Target['restore'];
export type TableCheck = z.infer<typeof tableCheck>;
export type SqlAssertion = z.infer<typeof sqlAssertion>;
export type Expectation = z.infer<typeof expectation>;
export type DrillConfig = z.infer<typeof configSchema>;

/** Formats zod issues as `path: problem` lines, the path the way a user would write it. */
export function describeIssues(error: z.core.$ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((part, i) =>
        typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`,
      )
      .join('');
    return `${path || '(top level)'}: ${issue.message}`;
  });
}

/** Validates parsed JSON against a schema, throwing a ConfigError that names every bad field. */
export function parseWith<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  what: string,
): z.infer<S> {
  const result = z.safeParse(schema, value);
  if (!result.success) throw new ConfigError(`${what} is invalid:`, describeIssues(result.error));
  return result.data;
}

/** Validates a whole configuration document. */
export function parseConfig(value: unknown, what = 'configuration'): DrillConfig {
  return parseWith(configSchema, value, what);
}
