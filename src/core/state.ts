import * as z from 'zod/mini';
import { targetSchema } from './config.ts';

/** The names of the workflow's Task states, each bound to one step. */
export const stepNames = [
  'StartDrill',
  'TakeSnapshot',
  'RecordBaseline',
  'CheckSnapshot',
  'RestoreInstance',
  'CheckInstance',
  'Verify',
  'TearDown',
  'PublishReport',
] as const;
export type StepName = (typeof stepNames)[number];

export const checkStatuses = ['PASS', 'FAIL', 'ERROR', 'SKIP'] as const;
export type CheckStatus = (typeof checkStatuses)[number];

export const checkResultSchema = z.object({
  name: z.string(),
  status: z.enum(checkStatuses),
  message: z.string(),
  ms: z.number(),
  /** Measurements a report builds on, e.g. the newest timestamp a freshness check saw. */
  metrics: z.optional(z.record(z.string(), z.union([z.number(), z.string()]))),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

const isoTime = z.iso.datetime({ offset: true });

/**
 * How far a check that walks the database (its indexes, its tables, ranges of a table's blocks)
 * has got, kept between the Verify invocations that share it. Each unit of the walk has a key
 * that sorts in walk order; the units done are those up to `after`, and `doneAhead`.
 */
export const walkProgressSchema = z.object({
  /** Every unit whose key sorts at or before this one is done. */
  after: z.optional(z.string()),
  /** Units past `after` done already (finished out of order, on other sessions). */
  doneAhead: z._default(z.array(z.string()), []),
  /** Units the time budget cut short once: run first next time, and not cut twice. */
  retried: z._default(z.array(z.string()), []),
  /** Units done, bytes and rows they held, and milliseconds spent on them, so far. */
  done: z._default(z.number(), 0),
  bytes: z._default(z.number(), 0),
  rows: z._default(z.number(), 0),
  ms: z._default(z.number(), 0),
  /** What the walk found broken (the first few), and how many it found in all. */
  findings: z._default(z.array(z.string()), []),
  found: z._default(z.number(), 0),
  /** What else the walk has to say (the first few), and counts of its own. */
  notes: z._default(z.array(z.string()), []),
  tally: z._default(z.record(z.string(), z.number()), {}),
  /** Units that could not be done within one invocation's budget, twice: unverified. */
  unverified: z._default(z.array(z.string()), []),
  unverifiedCount: z._default(z.number(), 0),
});
export type WalkProgress = z.infer<typeof walkProgressSchema>;

/** Checks proposed from the restored copy (`run --suggest`), or why none could be. */
const suggestionSchema = z.object({
  checks: z.optional(z.record(z.string(), z.unknown())),
  notes: z.array(z.string()),
  error: z.optional(z.string()),
});

/** The checks a verification has still to finish, by name, each from where it stopped. */
export const verifyProgressSchema = z.record(z.string(), walkProgressSchema);
export type VerifyProgress = z.infer<typeof verifyProgressSchema>;

const resourceSchema = z.object({
  id: z.string(),
  status: z.string(),
  requestedAt: isoTime,
  availableAt: z.optional(isoTime),
});

/** What Step Functions' Catch puts under `failed.<State>`: the error name and its cause. */
const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.optional(z.unknown()) });

/**
 * The drill record that flows through the workflow. Each step takes it and returns it extended;
 * it holds identifiers and times, never credentials.
 */
export const drillStateSchema = z.object({
  target: targetSchema,
  /** Leave the restored copy running for investigation (local runs). */
  keep: z._default(z.boolean(), false),
  /** Propose checks from the restored copy once it is verified (runs from the CLI). */
  suggest: z.optional(z.boolean()),
  drillId: z.string(),
  startedAt: isoTime,
  /** The backup the drill restores, once taken or picked. */
  recoveryPoint: z.optional(
    z.extend(resourceSchema, {
      kind: z.enum(['snapshot', 'point-in-time']),
      /** The drill took it (a snapshot of its own, deleted at teardown). */
      owned: z.boolean(),
      /** The point in time its data is from. */
      createdAt: z.optional(isoTime),
      sizeBytes: z.optional(z.number()),
      engineVersion: z.optional(z.string()),
    }),
  ),
  /**
   * The source's baseline, read as its snapshot was taken and kept in the baseline store (it
   * can be larger than drill state may be), or why it could not be read.
   */
  baseline: z.optional(
    z.object({
      takenAt: z.optional(isoTime),
      tables: z.optional(z.number()),
      error: z.optional(z.string()),
      /** What the workflow caught, where the step itself failed. */
      failed: z.optional(caughtErrorSchema),
    }),
  ),
  /** The restored copy. */
  copy: z.optional(
    z.extend(resourceSchema, {
      kind: z.enum(['instance', 'cluster']),
      endpoint: z.optional(z.object({ host: z.string(), port: z.number() })),
      instanceClass: z.optional(z.string()),
      engineVersion: z.optional(z.string()),
      /** When the backend says the copy came into being. */
      createdAt: z.optional(isoTime),
    }),
  ),
  /** The current wait loop: is the resource ready, and how long to wait before asking again. */
  wait: z.optional(
    z.object({ ready: z.boolean(), seconds: z.int().check(z.minimum(1)), polls: z.number() }),
  ),
  verification: z.optional(
    z.object({
      startedAt: isoTime,
      finishedAt: isoTime,
      checks: z.array(checkResultSchema),
      /** How many Verify invocations the checks took (a large copy takes several). */
      invocations: z.optional(z.number()),
      /** What is left to verify: Verify runs again until nothing is. */
      resume: z.optional(verifyProgressSchema),
    }),
  ),
  suggestion: z.optional(suggestionSchema),
  teardown: z.optional(
    z.object({
      status: z.enum(['DONE', 'KEPT', 'ERROR']),
      startedAt: isoTime,
      finishedAt: isoTime,
      deleted: z.array(z.string()),
      message: z.string(),
    }),
  ),
  /** Errors caught by the workflow, keyed by the state that raised them. */
  failed: z.optional(z.record(z.string(), caughtErrorSchema)),
  verdict: z.optional(z.enum(['PASS', 'FAIL', 'ERROR'])),
  summary: z.optional(z.string()),
});
export type DrillState = z.infer<typeof drillStateSchema>;

/** What starts an execution: the target to drill, as the schedule or the CLI passes it. */
export const drillInputSchema = z.object({
  target: targetSchema,
  keep: z._default(z.boolean(), false),
  suggest: z._default(z.boolean(), false),
});
export type DrillInput = z.input<typeof drillInputSchema>;

/** What a deployed execution starts with: the name of a target in the stored configuration. */
export const namedDrillInputSchema = z.object({ targetName: z.string().check(z.minLength(1)) });
