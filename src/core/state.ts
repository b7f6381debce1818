import * as z from 'zod/mini';
import { targetSchema } from './config.ts';

/** The names of the workflow's Task states, each bound to one step. */
export const stepNames = [
  'StartDrill',
  'TakeSnapshot',
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
    z.object({ startedAt: isoTime, finishedAt: isoTime, checks: z.array(checkResultSchema) }),
  ),
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
});
export type DrillInput = z.input<typeof drillInputSchema>;

/** What a deployed execution starts with: the name of a target in the stored configuration. */
export const namedDrillInputSchema = z.object({ targetName: z.string().check(z.minLength(1)) });
