import { describe, expect, it } from 'vitest';
import { sortable, type WorkUnit, walkOutcome, walkUnits } from '#adapters/work-units.ts';
import type { WalkProgress } from '#core/state.ts';

/** A clock that moves only when a unit's check says so: each unit costs `cost(unit)` ms. */
function fakeClock() {
  let ms = 0;
  return { now: () => ms, advance: (by: number) => (ms += by) };
}

const unitsOf = (n: number): WorkUnit[] =>
  Array.from({ length: n }, (_, i) => ({ key: sortable(i), what: `unit ${i}` }));

const words = {
  units: (n: number) => `${n} unit${n === 1 ? '' : 's'}`,
  failed: (n: number) => `${n} broken: `,
  passed: () => 'all fine',
};

class Timeout extends Error {}

describe('walkUnits', () => {
  it('goes on over several calls where the last stopped, until every unit is done once', async () => {
    const clock = fakeClock();
    const checked: string[] = [];
    const units = unitsOf(25);
    let progress: WalkProgress | undefined;
    let calls = 0;
    for (;;) {
      const walked = await walkUnits({
        sessions: ['a', 'b'],
        units,
        progress,
        deadline: clock.now() + 100,
        now: clock.now,
        check: async (session, unit) => {
          checked.push(unit.key);
          // Session b is slower: units finish out of order.
          await new Promise((r) => setTimeout(r, session === 'b' ? 2 : 1));
          clock.advance(session === 'b' ? 15 : 10);
          return { bytes: 1000, rows: 2 };
        },
        isFinding: () => false,
        maxErrorChars: 100,
      });
      calls++;
      progress = walked.progress;
      if (walked.finished) break;
      expect(walkOutcome(walked, units.length, words, {})).toMatchObject({
        status: 'ERROR',
        message: expect.stringMatching(/^\d+ of 25 units verified so far, the rest not yet/),
      });
    }
    expect(calls).toBeGreaterThan(1);
    expect([...checked].sort()).toEqual(units.map((u) => u.key));
    expect(progress).toMatchObject({ done: 25, bytes: 25_000, rows: 50, doneAhead: [] });
    expect(progress?.after).toBe(sortable(24));
  });

  it('retries a unit the deadline cut short, first, and calls it unverified if cut again', async () => {
    const clock = fakeClock();
    const units = unitsOf(3);
    const order: string[] = [];
    const call = (progress?: WalkProgress) =>
      walkUnits({
        sessions: ['a'],
        units,
        progress,
        deadline: clock.now() + 50,
        now: clock.now,
        check: async (_, unit) => {
          order.push(unit.what);
          if (unit.key === sortable(1)) {
            clock.advance(60);
            throw new Timeout('canceling statement due to statement timeout');
          }
          clock.advance(1);
          return {};
        },
        isFinding: () => false,
        maxErrorChars: 100,
      });
    const first = await call();
    expect(first).toMatchObject({ finished: false, progress: { retried: [sortable(1)] } });
    const second = await call(first.progress);
    expect(order).toEqual(['unit 0', 'unit 1', 'unit 1']);
    expect(second.finished).toBe(false);
    const third = await call(second.progress);
    expect(third.finished).toBe(true);
    expect(walkOutcome(third, 3, words, {})).toEqual({
      status: 'ERROR',
      message:
        "unit 1: not verified within one invocation's budget (canceling statement due to statement timeout)",
      metrics: {},
    });
  });

  it('counts findings, and retires a session on any other error while the others go on', async () => {
    const clock = fakeClock();
    const units = unitsOf(6);
    const walked = await walkUnits({
      sessions: ['a', 'b'],
      units,
      deadline: 1_000,
      now: clock.now,
      check: async (session, unit) => {
        await new Promise((r) => setTimeout(r, session === 'a' ? 1 : 3));
        if (unit.key === sortable(0)) throw new Error('connection terminated');
        if (unit.key === sortable(3)) throw Object.assign(new Error('corrupt'), { code: 'XX002' });
        return unit.key === sortable(4) ? { findings: ['unit 4 is broken'] } : {};
      },
      isFinding: (error) => (error as { code?: string }).code === 'XX002',
      maxErrorChars: 100,
    });
    expect(walked).toMatchObject({ finished: true, abandoned: 0 });
    expect(walked.progress).toMatchObject({
      done: 6,
      found: 2,
      unverifiedCount: 1,
      unverified: ['could not check unit 0: connection terminated'],
    });
    expect(walkOutcome(walked, 6, words, {}).message).toBe(
      '2 broken: unit 3: corrupt; unit 4 is broken; then could not check unit 0: connection terminated',
    );
  });

  it('says how many units were left when every session stopped on an error', async () => {
    const walked = await walkUnits({
      sessions: ['a'],
      units: unitsOf(4),
      deadline: 1_000,
      now: () => 0,
      check: async () => {
        throw new Error('connection terminated');
      },
      isFinding: () => false,
      maxErrorChars: 100,
    });
    expect(walked).toMatchObject({ finished: true, abandoned: 3 });
    expect(walkOutcome(walked, 4, words, {})).toMatchObject({
      status: 'ERROR',
      message: 'could not check unit 0: connection terminated; 3 units not checked after that',
    });
  });
});
