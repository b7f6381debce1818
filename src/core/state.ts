import { z } from 'zod';
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
  metrics: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

const isoTime = z.iso.datetime({ offset: true });

const resourceSchema = z.object({
  id: z.string(),
  status: z.string(),
  requestedAt: isoTime,
  availableAt: isoTime.optional(),
});

/** What Step Functions' Catch puts under `failed.<State>`: the error name and its cause. */
const caughtErrorSchema = z.object({ Error: z.string(), Cause: z.unknown().optional() });

/**
 * The drill record that flows through the workflow. Each step takes it and returns it extended;
 * it holds identifiers and times, never credentials.
 */
export const drillStateSchema = z.object({
  target: targetSchema,
  /** Leave the restored copy running for investigation (local runs). */
  keep: z.boolean().default(false),
  drillId: z.string(),
  startedAt: isoTime,
  snapshot: resourceSchema
    .extend({ createdAt: isoTime.optional(), sizeBytes: z.number().optional() })
    .optional(),
  instance: resourceSchema
    .extend({ endpoint: z.object({ host: z.string(), port: z.number() }).optional() })
    .optional(),
  /** The current wait loop: is the resource ready, and how long to wait before asking again. */
  wait: z
    .object({ ready: z.boolean(), seconds: z.number().int().min(1), polls: z.number() })
    .optional(),
  verification: z
    .object({ startedAt: isoTime, finishedAt: isoTime, checks: z.array(checkResultSchema) })
    .optional(),
  teardown: z
    .object({
      status: z.enum(['DONE', 'KEPT', 'ERROR']),
      startedAt: isoTime,
      finishedAt: isoTime,
      deleted: z.array(z.string()),
      message: z.string(),
    })
    .optional(),
  /** Errors caught by the workflow, keyed by the state that raised them. */
  failed: z.record(z.string(), caughtErrorSchema).optional(),
  verdict: z.enum(['PASS', 'FAIL', 'ERROR']).optional(),
  summary: z.string().optional(),
});
export type DrillState = z.infer<typeof drillStateSchema>;

/** What starts an execution: the target to drill, as the schedule or the CLI passes it. */
export const drillInputSchema = z.object({
  target: targetSchema,
  keep: z.boolean().default(false),
});
export type DrillInput = z.input<typeof drillInputSchema>;
