/**
 * What the checks of every engine share: how a check is timed and its failures caught, how its
 * messages are bounded, and how a custom assertion's value is judged.
 */
import type { Expectation } from '#core/config.ts';
import type { CheckResult, CheckStatus } from '#core/state.ts';
import { clip, errorText, MAX_MESSAGE_CHARS } from '#core/text.ts';

export { clip, errorText, MAX_MESSAGE_CHARS, plural } from '#core/text.ts';

/** What one check finds, before `timed` names and times it. */
export type Outcome = { status: CheckStatus; message: string; metrics?: CheckResult['metrics'] };

/**
 * How far a freshness value may lie past the recovery point and still count: the source's and
 * the snapshot's clocks can disagree by a little. Anything later is a bogus (future) date.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * `items` joined by "; ": at most `most` of them, and only as many as fit in `budget`
 * characters, then "and N more" for the rest (of `total`, where only the first items are
 * kept), so the count is never what gets cut off.
 */
export function listWithin(
  items: readonly string[],
  most: number,
  budget: number,
  total = items.length,
): string {
  let text = '';
  let shown = 0;
  for (const item of items.slice(0, most)) {
    const next = shown ? `${text}; ${item}` : item;
    const rest = total - shown - 1;
    if (next.length + (rest ? `; and ${rest} more`.length : 0) > budget) break;
    text = next;
    shown++;
  }
  const rest = total - shown;
  if (!rest) return text;
  return shown ? `${text}; and ${rest} more` : `${rest} too long to list`;
}

/**
 * Runs one check, timing it; an exception becomes that check's ERROR, never the drill's. Either
 * way the message is capped, so no check can swell the drill's state.
 */
export async function timed(name: string, run: () => Promise<Outcome>): Promise<CheckResult> {
  const start = performance.now();
  try {
    const outcome = await run();
    return {
      name,
      ...outcome,
      message: clip(outcome.message, MAX_MESSAGE_CHARS),
      ms: Math.round(performance.now() - start),
    };
  } catch (error) {
    return {
      name,
      status: 'ERROR',
      message: clip(errorText(error), MAX_MESSAGE_CHARS),
      ms: Math.round(performance.now() - start),
    };
  }
}

/** Compares a query's single value with what the config expects. */
export function judge(value: unknown, expect: Expectation): { ok: boolean; message: string } {
  const wanted: string[] = [];
  if (expect.equals !== undefined) wanted.push(`= ${JSON.stringify(expect.equals)}`);
  if (expect.min !== undefined) wanted.push(`>= ${expect.min}`);
  if (expect.max !== undefined) wanted.push(`<= ${expect.max}`);
  const numeric =
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)));
  const asNumber = numeric ? Number(value) : Number.NaN;
  const shown =
    value === null || value === undefined
      ? 'no value'
      : numeric
        ? String(value)
        : JSON.stringify(value);
  const equalsOk =
    expect.equals === undefined ||
    (typeof expect.equals === 'number'
      ? asNumber === expect.equals
      : value === expect.equals || String(value) === String(expect.equals));
  const minOk = expect.min === undefined || (numeric && asNumber >= expect.min);
  const maxOk = expect.max === undefined || (numeric && asNumber <= expect.max);
  const ok = value !== null && value !== undefined && equalsOk && minOk && maxOk;
  return { ok, message: `got ${shown}, expected ${wanted.join(' and ')}` };
}
