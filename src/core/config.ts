import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** A SQL identifier, optionally schema-qualified: `orders` or `sales.orders`. */
const qualifiedName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/,
    'must be a table name, e.g. "orders" or "sales.orders"',
  );

const columnName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$]*$/, 'must be a column name');

const expectation = z
  .strictObject({
    equals: z.union([z.number(), z.string(), z.boolean()]).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .refine((e) => e.equals !== undefined || e.min !== undefined || e.max !== undefined, {
    message: 'needs at least one of equals, min, max',
  });

const sqlAssertion = z.strictObject({
  name: z.string().min(1),
  query: z.string().min(1),
  expect: expectation,
});

const tableCheck = z.strictObject({
  minRows: z.number().int().nonnegative().optional(),
  freshness: z
    .strictObject({ column: columnName, maxAgeMinutes: z.number().positive() })
    .optional(),
});

const checks = z.strictObject({
  integrity: z.boolean().default(true),
  tables: z.record(qualifiedName, tableCheck).default({}),
  sql: z.array(sqlAssertion).default([]),
  /** Upper bound for each custom SQL assertion. */
  statementTimeoutSeconds: z.number().positive().max(3600).default(60),
});

/** Where the source lives. A local source is a PGlite data directory. */
const source = z.strictObject({ dataDir: z.string().min(1) });

const timeouts = z.strictObject({
  // Capped so that, with verification and teardown's retries, a drill ends well inside the
  // workflow's 8-hour TimeoutSeconds: a drill that times out there skips teardown.
  snapshotMinutes: z.number().positive().max(120).default(60),
  restoreMinutes: z.number().positive().max(240).default(90),
});

/**
 * Target names become part of RDS identifiers (letters, digits, single hyphens, starting with a
 * letter), so they are held to those rules here rather than failing at restore time.
 */
const targetName = z
  .string()
  .max(30)
  .regex(
    /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
    'must be lowercase letters, digits and single hyphens, starting with a letter',
  );

export const targetSchema = z.strictObject({
  name: targetName,
  engine: z.literal('postgres'),
  database: z.string().min(1).default('postgres'),
  source,
  timeouts: timeouts.default({ snapshotMinutes: 60, restoreMinutes: 90 }),
  checks: checks.default({ integrity: true, tables: {}, sql: [], statementTimeoutSeconds: 60 }),
});

export const configSchema = z.strictObject({
  targets: z
    .array(targetSchema)
    .min(1)
    .refine((ts) => new Set(ts.map((t) => t.name)).size === ts.length, {
      message: 'target names must be unique',
    }),
});

/** A validated target, with defaults filled in. */
export type Target = z.infer<typeof targetSchema>;
export type TargetInput = z.input<typeof targetSchema>;
export type TableCheck = z.infer<typeof tableCheck>;
export type SqlAssertion = z.infer<typeof sqlAssertion>;
export type Expectation = z.infer<typeof expectation>;
export type DrillConfig = z.infer<typeof configSchema>;

/** Formats zod issues as `path: problem` lines, the path the way a user would write it. */
export function describeIssues(error: z.ZodError): string[] {
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
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(`${what} is invalid:`, describeIssues(result.error));
  return result.data;
}

/** Validates a whole configuration document. */
export function parseConfig(value: unknown, what = 'configuration'): DrillConfig {
  return parseWith(configSchema, value, what);
}
