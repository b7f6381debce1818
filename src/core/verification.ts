/**
 * Verification over several calls: a large copy's checks take more than one Verify invocation
 * (Lambda's 15 minutes), each going on where the last stopped, until every check is done or
 * the target's `timeouts.verifyMinutes` is spent.
 */
import type { DatabaseVerifier, VerifyRequest } from './ports.ts';
import type { CheckResult, VerifyProgress } from './state.ts';

/**
 * Longest one call reads the copy: what a Verify function's 15 minutes leave after connecting,
 * the report, and a unit or statement running a little past the deadline.
 */
export const CALL_BUDGET_MS = 12 * 60_000;

/** With less than this left of `timeouts.verifyMinutes`, verification ends where it is. */
export const LAST_CALL_MS = 60_000;

/** This call's results over the earlier calls': a check run again replaces its earlier result. */
export function mergeResults(earlier: readonly CheckResult[], now: readonly CheckResult[]) {
  const merged = [...earlier];
  for (const result of now) {
    const i = merged.findIndex((r) => r.name === result.name);
    if (i === -1) merged.push(result);
    else merged[i] = { ...result, ms: (merged[i]?.ms ?? 0) + result.ms };
  }
  return merged;
}

/** The checks left unfinished at the time limit: ERRORs, each saying that is why. */
export function stoppedAtLimit(
  checks: readonly CheckResult[],
  left: VerifyProgress,
  limitMinutes: number,
): CheckResult[] {
  return checks.map((check) =>
    check.name in left
      ? {
          ...check,
          status: 'ERROR',
          message: `stopped at the verification time limit (timeouts.verifyMinutes = ${limitMinutes}): ${check.message}`,
        }
      : check,
  );
}

/** How much of the time limit is left at `now`, for verification that started at `startedAt`. */
export const timeLeftMs = (startedAt: Date, limitMinutes: number, now: Date) =>
  startedAt.getTime() + limitMinutes * 60_000 - now.getTime();

/**
 * Runs every check to the end in as many calls as it takes, within `limitMinutes`: what a
 * workflow does over several Verify invocations, done in one process (`restore-drill check`).
 */
export async function verifyInCalls(
  verifier: DatabaseVerifier,
  request: Omit<VerifyRequest, 'budgetMs' | 'resume'>,
  limitMinutes: number,
  now: () => Date = () => new Date(),
): Promise<{ checks: CheckResult[]; calls: number }> {
  const startedAt = now();
  let checks: CheckResult[] = [];
  let resume: VerifyProgress | undefined;
  let calls = 0;
  do {
    const budgetMs = Math.min(CALL_BUDGET_MS, timeLeftMs(startedAt, limitMinutes, now()));
    const call = await verifier.verify({ ...request, budgetMs: Math.max(0, budgetMs), resume });
    calls++;
    checks = mergeResults(checks, call.checks);
    resume = call.resume;
    if (resume && timeLeftMs(startedAt, limitMinutes, now()) < LAST_CALL_MS) {
      return { checks: stoppedAtLimit(checks, resume, limitMinutes), calls };
    }
  } while (resume);
  return { checks, calls };
}
