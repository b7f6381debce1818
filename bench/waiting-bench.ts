/**
 * How well the workflow waits. Simulated snapshots (2 and 15 minutes) and restores (5, 30 and 90
 * minutes) are polled by the core's own CheckSnapshot / CheckInstance steps on a simulated clock,
 * beside the SDK waiter's fixed 30-second schedule run through the same loop. For each, over
 * end times spread across a minute: polls (describe calls), state transitions, and the mean and
 * worst detection latency (resource ready → workflow moves on). Then what a whole drill costs
 * in orchestration and in instance time.
 *
 *   npm run bench:waiting
 */
import { targetSchema } from '#core/config.ts';
import type { CopyInfo, RecoveryPointInfo } from '#core/ports.ts';
import { seconds } from '#core/report.ts';
import type { DrillState } from '#core/state.ts';
import { checkInstance, checkSnapshot, DRILL_ID_TAG } from '#core/steps.ts';

const START = Date.parse('2026-11-23T03:00:00Z');
const drillId = 'drill-orders-20261123t0300-a1b2c3';
const target = targetSchema.parse({
  name: 'orders',
  engine: 'postgres',
  source: { instance: 'orders-prod' },
  timeouts: { snapshotMinutes: 120, restoreMinutes: 240 },
});
const base: DrillState = {
  target,
  keep: false,
  drillId,
  startedAt: new Date(START).toISOString(),
};
const tags = { [DRILL_ID_TAG]: drillId };

/** Transitions of one poll that is not the last: the Task, the Choice, the Wait. */
const TRANSITIONS_PER_WAIT = 3;
/** Transitions of the last poll: the Task and the Choice that moves on. */
const TRANSITIONS_LAST = 2;

interface Outcome {
  polls: number;
  transitions: number;
  latencyMs: number;
}

/**
 * Polls a resource that is ready `durationMs` after it was asked for. `waitFor` says how long to
 * wait after each poll that found it not ready: the steps' own answer, or a fixed schedule.
 */
async function pollUntilReady(
  kind: 'snapshot' | 'restore',
  durationMs: number,
  fixedSeconds?: number,
): Promise<Outcome> {
  let t = START;
  const clock = { now: () => new Date(t) };
  const requestedAt = new Date(START).toISOString();
  const ready = () => t - START >= durationMs;
  // RDS reports a snapshot's progress in whole percent; a restore reports none.
  const percent = () => Math.min(99, Math.floor((100 * (t - START)) / durationMs));
  const snapshot = (): RecoveryPointInfo => ({
    kind: 'snapshot',
    owned: true,
    id: drillId,
    phase: ready() ? 'available' : 'pending',
    status: ready() ? 'available' : 'creating',
    progress: ready() ? 100 : percent(),
    tags,
  });
  const copy = (): CopyInfo => ({
    id: drillId,
    kind: 'instance',
    phase: ready() ? 'available' : 'pending',
    status: ready() ? 'available' : 'creating',
    tags,
  });
  const fleet = {
    describeRecoveryPoint: async () => snapshot(),
    advanceCopy: async () => copy(),
  };
  let state: DrillState =
    kind === 'snapshot'
      ? {
          ...base,
          recoveryPoint: {
            kind: 'snapshot',
            owned: true,
            id: drillId,
            status: 'creating',
            requestedAt,
          },
        }
      : { ...base, copy: { id: drillId, kind: 'instance', status: 'creating', requestedAt } };
  for (let polls = 1; ; polls++) {
    state =
      kind === 'snapshot'
        ? await checkSnapshot(state, { fleet, clock })
        : await checkInstance(state, { fleet, clock });
    const wait = state.wait;
    if (!wait) throw new Error('a poll step returned no wait');
    if (wait.ready) {
      return {
        polls,
        transitions: (polls - 1) * TRANSITIONS_PER_WAIT + TRANSITIONS_LAST,
        latencyMs: t - START - durationMs,
      };
    }
    t += (fixedSeconds ?? wait.seconds) * 1000;
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** End times spread over a minute after the nominal duration, every 3 s. */
const spread = Array.from({ length: 20 }, (_, i) => i * 3_000);

const scenarios = [
  { kind: 'snapshot', minutes: 2 },
  { kind: 'snapshot', minutes: 15 },
  { kind: 'restore', minutes: 5 },
  { kind: 'restore', minutes: 30 },
  { kind: 'restore', minutes: 90 },
] as const;

const rows: string[][] = [];
const drillTransitions: Record<string, { ours: number; fixed: number }> = {};
for (const { kind, minutes } of scenarios) {
  const results = { ours: [] as Outcome[], fixed: [] as Outcome[] };
  for (const offset of spread) {
    const duration = minutes * 60_000 + offset;
    results.ours.push(await pollUntilReady(kind, duration));
    results.fixed.push(await pollUntilReady(kind, duration, 30));
  }
  for (const [policy, outcomes] of Object.entries(results)) {
    rows.push([
      `${kind} ${minutes} min`,
      policy === 'ours' ? 'restore-drill' : 'fixed 30 s (SDK waiter)',
      mean(outcomes.map((o) => o.polls)).toFixed(1),
      mean(outcomes.map((o) => o.transitions)).toFixed(1),
      seconds(mean(outcomes.map((o) => o.latencyMs))),
      seconds(Math.max(...outcomes.map((o) => o.latencyMs))),
    ]);
  }
  drillTransitions[`${kind} ${minutes}`] = {
    ours: mean(results.ours.map((o) => o.transitions)),
    fixed: mean(results.fixed.map((o) => o.transitions)),
  };
}

function table(header: string[], body: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of body) console.log(fmt(r));
}

console.log('Waiting, over end times spread across a minute (simulated clock)\n');
table(['phase', 'policy', 'polls', 'transitions', 'mean latency', 'worst latency'], rows);

// What one drill costs, us-east-1 list prices: Step Functions standard $0.025 per 1,000
// transitions; Lambda arm64 $0.0000133334 per GB-second and $0.20 per million requests (each
// poll about 300 ms at 256 MB, Verify about 30 s at 512 MB); a db.t4g.micro $0.016 an hour,
// billed per second with a 10-minute minimum, while the copy exists (restore + verify + delete).
const FIXED_TRANSITIONS = 12; // StartDrill ... Verify, TearDown, PublishReport, Verdict, end
const perTransition = 0.025 / 1000;
const lambdaPoll = 0.3 * 0.25 * 0.0000133334 + 0.2 / 1e6;
const lambdaFixed = 6 * lambdaPoll + 30 * 0.5 * 0.0000133334;
const costRows: string[][] = [];
for (const restore of [5, 30, 90]) {
  const snapshot = drillTransitions['snapshot 15'] ?? { ours: 0, fixed: 0 };
  const copy = drillTransitions[`restore ${restore}`] ?? { ours: 0, fixed: 0 };
  for (const policy of ['ours', 'fixed'] as const) {
    const transitions = FIXED_TRANSITIONS + snapshot[policy] + copy[policy];
    const polls = (snapshot[policy] + copy[policy]) / TRANSITIONS_PER_WAIT;
    const orchestration = transitions * perTransition + lambdaFixed + polls * lambdaPoll;
    const instance = (Math.max(10, restore + 3) / 60) * 0.016;
    costRows.push([
      `15 min snapshot, ${restore} min restore`,
      policy === 'ours' ? 'restore-drill' : 'fixed 30 s',
      transitions.toFixed(0),
      `$${orchestration.toFixed(5)}`,
      `$${instance.toFixed(4)}`,
    ]);
  }
}
console.log('\nCost of one drill (orchestration: transitions and Lambda; instance: the copy)\n');
table(['drill', 'policy', 'transitions', 'orchestration', 'db.t4g.micro'], costRows);
