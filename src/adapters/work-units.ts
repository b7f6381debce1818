/**
 * How the checks that walk a whole database (every index, every table, a large table range by
 * range) share the work over several sessions and over several calls: the walk is a list of
 * units, each session takes the next one until the call's deadline, and what is left is
 * returned as progress for the next call to go on from. Engine-neutral: the engines' verifiers
 * say what a unit is and how to check it.
 */
import * as z from 'zod/mini';
import type { Verification, VerifyRequest } from '#core/ports.ts';
import {
  type CheckResult,
  type VerifyProgress,
  type WalkProgress,
  walkProgressSchema,
} from '#core/state.ts';
import { clip, errorText, listWithin, MAX_MESSAGE_CHARS, type Outcome, timed } from './checks.ts';

/** One piece of a walk: its key sorts in walk order and never changes between calls. */
export interface WorkUnit {
  key: string;
  /** How a message names it: `index public.orders_pkey on public.orders`. */
  what: string;
}

/** What checking one unit found: what is broken in it, what else is worth saying, what it held. */
export interface UnitOutcome {
  findings?: string[];
  notes?: string[];
  bytes?: number;
  rows?: number;
  /** Counts of the engine's own, summed over the walk (tables not checkable, warnings). */
  tally?: Record<string, number>;
}

export interface WalkRequest<S, U extends WorkUnit> {
  /** The sessions to check units on, each one unit at a time. */
  sessions: readonly S[];
  units: readonly U[];
  /** Where an earlier call stopped; none: the walk starts from the beginning. */
  progress?: WalkProgress;
  /** Past this moment (by `now`), no unit starts; one under way when it falls is cut short. */
  deadline: number;
  now: () => number;
  check: (session: S, unit: U) => Promise<UnitOutcome>;
  /** Whether an error a unit's check threw is what it found broken (corruption), not a failure. */
  isFinding: (error: unknown) => boolean;
  /** Longest text kept of an error a unit's check threw. */
  maxErrorChars: number;
}

export interface Walked {
  progress: WalkProgress;
  /** Nothing is left for another call: every unit is done, or no session could go on. */
  finished: boolean;
  /** Units no session went on to, once every session had stopped on an error. */
  abandoned: number;
  /** The first unit left for the next call, when not finished. */
  next?: string;
}

/** Most findings (and unverified units) a walk keeps the text of; the rest are counted. */
const KEPT = 10;

/** Zero-padded, so that keys made of numbers sort as the numbers do. */
export const sortable = (n: number, digits = 10) => String(n).padStart(digits, '0');

const byKey = (a: WorkUnit, b: WorkUnit) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Checks the units of a walk not done yet, over every session at once, until they are all done
 * or the deadline falls. A unit whose check finds it broken (or throws what `isFinding`
 * accepts) is done and broken. A unit cut short by the deadline is run again first next call;
 * cut short again, it is unverified: one invocation's budget cannot hold it. Any other error
 * leaves its unit unverified, said with the error, and retires the session it happened on (it
 * may be gone): the others go on, so one bad object never hides the rest.
 */
export async function walkUnits<S, U extends WorkUnit>(
  request: WalkRequest<S, U>,
): Promise<Walked> {
  const { sessions, now, deadline, maxErrorChars } = request;
  const previous = z.parse(walkProgressSchema, request.progress ?? {});
  const units = [...request.units].sort(byKey);
  const doneBefore = new Set(previous.doneAhead);
  const wasDone = (key: string) =>
    (previous.after !== undefined && key <= previous.after) || doneBefore.has(key);
  const retriedBefore = new Set(previous.retried);
  const remaining = units.filter((u) => !wasDone(u.key));
  const queue = [
    ...remaining.filter((u) => retriedBefore.has(u.key)),
    ...remaining.filter((u) => !retriedBefore.has(u.key)),
  ];

  const progress: WalkProgress = {
    ...previous,
    findings: [...previous.findings],
    notes: [...previous.notes],
    tally: { ...previous.tally },
    unverified: [...previous.unverified],
  };
  const doneNow = new Set<string>();
  const cut = new Set<string>();
  let retired = 0;
  const started = now();
  const finish = (unit: U) => {
    doneNow.add(unit.key);
    progress.done++;
  };
  const keep = (list: string[], text: string) => {
    if (list.length < KEPT) list.push(text);
  };
  const found = (text: string) => {
    progress.found++;
    keep(progress.findings, text);
  };
  const unverified = (unit: U, text: string) => {
    progress.unverifiedCount++;
    keep(progress.unverified, text);
    finish(unit);
  };

  const worker = async (session: S) => {
    while (now() < deadline) {
      const unit = queue.shift();
      if (!unit) return;
      try {
        const outcome = await request.check(session, unit);
        progress.bytes += outcome.bytes ?? 0;
        progress.rows += outcome.rows ?? 0;
        for (const finding of outcome.findings ?? []) found(finding);
        for (const note of outcome.notes ?? []) keep(progress.notes, note);
        for (const [name, n] of Object.entries(outcome.tally ?? {})) {
          progress.tally[name] = (progress.tally[name] ?? 0) + n;
        }
        finish(unit);
      } catch (error) {
        const text = clip(errorText(error), maxErrorChars);
        if (request.isFinding(error)) {
          found(`${unit.what}: ${text}`);
          finish(unit);
        } else if (now() < deadline) {
          unverified(unit, `could not check ${unit.what}: ${text}`);
          retired++;
          return;
        } else if (retriedBefore.has(unit.key)) {
          unverified(unit, `${unit.what}: not verified within one invocation's budget (${text})`);
        } else cut.add(unit.key);
      }
    }
  };
  await Promise.all(sessions.map(worker));
  progress.ms += Math.max(0, Math.round(now() - started));

  // The done prefix grows as far as every unit in it is done; the rest done are kept by key.
  let after = previous.after;
  const ahead: string[] = [];
  let gap = false;
  for (const unit of units) {
    const done = wasDone(unit.key) || doneNow.has(unit.key);
    if (!done) gap = true;
    else if (!gap) after = unit.key;
    else ahead.push(unit.key);
  }
  progress.after = after;
  progress.doneAhead = ahead;
  // Cut short now, or before and not reached since: each gets one more full try.
  const again = queue.filter((u) => retriedBefore.has(u.key)).map((u) => u.key);
  progress.retried = [...cut, ...again];
  const abandoned = retired === sessions.length ? queue.length + cut.size : 0;
  const left = new Set([...cut, ...queue.map((u) => u.key)]);
  const finished = abandoned > 0 || left.size === 0;
  const next = finished ? undefined : units.find((u) => left.has(u.key))?.what;
  return { progress, finished, abandoned, next };
}

/** How fast a walk has read, in MB/s, over the time its units took. */
export const mbPerSecond = (progress: WalkProgress) =>
  Number((progress.bytes / 1e6 / (Math.max(progress.ms, 1) / 1000)).toFixed(1));

/** How a walk check says what it covered, as each engine's verifier words it. */
export interface WalkWords {
  /** The units, counted: `12 indexes`, `3 ranges of blocks`. */
  units: (n: number) => string;
  /** A FAIL's opening, before its findings: `2 of 40 B-tree indexes are corrupt: `. */
  failed: (found: number) => string;
  /** A PASS message. */
  passed: () => string;
}

/**
 * A walk check's outcome from where its walk is: FAIL when it found anything broken (what it
 * could not verify said after); an ERROR when units could not be verified, or, provisionally,
 * while units are left for the next call; otherwise PASS.
 */
export function walkOutcome(
  walked: Walked,
  total: number,
  words: WalkWords,
  metrics: Record<string, number | string>,
): Outcome {
  const { progress, abandoned } = walked;
  const unverified = progress.unverifiedCount
    ? listWithin(progress.unverified, KEPT, MAX_MESSAGE_CHARS / 2, progress.unverifiedCount)
    : '';
  const asides = [
    abandoned ? `${words.units(abandoned)} not checked after that` : '',
    walked.finished ? '' : `${words.units(total - progress.done)} not verified yet`,
  ].filter(Boolean);
  const tail = asides.length ? `; ${asides.join('; ')}` : '';
  if (progress.found) {
    const then = unverified ? `; then ${unverified}` : '';
    const summary = words.failed(progress.found);
    const room = MAX_MESSAGE_CHARS - summary.length - then.length - tail.length;
    return {
      status: 'FAIL',
      message: summary + listWithin(progress.findings, KEPT, room, progress.found) + then + tail,
      metrics,
    };
  }
  if (!walked.finished) {
    return {
      status: 'ERROR',
      message: `${progress.done} of ${words.units(total)} verified so far, the rest not yet, from ${walked.next}${unverified ? `; ${unverified}` : ''}`,
      metrics,
    };
  }
  if (unverified) return { status: 'ERROR', message: unverified + tail, metrics };
  return { status: 'PASS', message: words.passed(), metrics };
}

/**
 * The sessions a call's walks share: `made[0]`, open already, and as many more as the request
 * asks for and the server takes, opened together the first time the walks ask. Each is added to
 * `made` as it is made, to be closed with it; one that cannot connect (the server's connection
 * limit, say) is left out, and the walks go on over fewer.
 */
export function walkSessions<S>(
  request: Pick<VerifyRequest, 'parallel' | 'connection'>,
  made: S[],
  make: () => S,
  connect: (session: S) => Promise<unknown>,
): () => Promise<S[]> {
  const wanted = Math.max(
    1,
    Math.min(request.parallel, request.connection.maxSessions ?? Infinity),
  );
  let opened: Promise<S[]> | undefined;
  const open = async () => {
    const more = await Promise.all(
      Array.from({ length: wanted - 1 }, async () => {
        const session = make();
        made.push(session);
        try {
          await connect(session);
          return session;
        } catch {
          return undefined;
        }
      }),
    );
    return [made[0] as S, ...more.filter((s) => s !== undefined)];
  };
  return () => {
    opened ??= open();
    return opened;
  };
}

/** Where a walk check is: its outcome so far, and what is left of it, if anything. */
export interface WalkResult {
  outcome: Outcome;
  progress?: WalkProgress;
}

/** A walk's outcome, and its progress when units are left for the next call. */
export function walkResult(
  walked: Walked,
  total: number,
  words: WalkWords,
  metrics: Record<string, number | string>,
): WalkResult {
  return {
    outcome: walkOutcome(walked, total, words, {
      ...metrics,
      mbPerSecond: mbPerSecond(walked.progress),
    }),
    progress: walked.finished ? undefined : walked.progress,
  };
}

/** A check of a verifier's plan: a single one, or a walk over units that may take several calls. */
export type PlannedCheck =
  | { name: string; run: () => Promise<Outcome> }
  | { name: string; walk: (progress?: WalkProgress) => Promise<WalkResult> };

/**
 * Runs a verifier's plan in order until the call's deadline: each check that finishes gets its
 * result; a walk that runs out of time, and every check not reached, gets an ERROR saying so,
 * and is named in `resume` for the next call to go on with. A single check the deadline cuts
 * short after other checks had the budget goes again next call too, first; one that had the
 * whole budget stands as the ERROR it is. Without a connection, nothing runs: each check is
 * SKIPped on a first call, and an ERROR on a later one (the copy was reached before).
 */
export async function runPlan(
  plan: readonly PlannedCheck[],
  call: { connectivity: CheckResult; resume?: VerifyProgress; now: () => number; deadline: number },
): Promise<Verification> {
  const { connectivity, resume, now, deadline } = call;
  // A later call goes on with the checks an earlier one left, and only those.
  const planned = plan.filter(({ name }) => !resume || name in resume);
  const results: CheckResult[] = resume ? [] : [connectivity];
  if (connectivity.status !== 'PASS') {
    for (const { name } of planned) {
      results.push(
        resume
          ? {
              name,
              status: 'ERROR',
              message: `could not connect to the copy again to go on: ${connectivity.message}`,
              ms: 0,
            }
          : { name, status: 'SKIP', message: 'not connected', ms: 0 },
      );
    }
    return { checks: results };
  }
  const left: VerifyProgress = {};
  let ranBefore = false;
  for (const check of planned) {
    const earlier = resume?.[check.name];
    const later = () => {
      left[check.name] = earlier ?? z.parse(walkProgressSchema, {});
    };
    if (now() >= deadline) {
      later();
      results.push({
        name: check.name,
        status: 'ERROR',
        message: "not run yet: the checks before it used this invocation's time budget",
        ms: 0,
      });
      continue;
    }
    let progress: WalkProgress | undefined;
    const result = await timed(check.name, async () => {
      if ('run' in check) return check.run();
      const walked = await check.walk(earlier);
      progress = walked.progress;
      return walked.outcome;
    });
    if (progress) left[check.name] = progress;
    else if (result.status === 'ERROR' && ranBefore && now() >= deadline) {
      later();
      result.message = `not finished within this invocation's time budget: ${result.message}`;
    }
    results.push(result);
    ranBefore = true;
  }
  return { checks: results, resume: Object.keys(left).length ? left : undefined };
}
