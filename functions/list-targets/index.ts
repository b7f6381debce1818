import { systemClock } from '#core/ports.ts';
import { listTargets } from '#core/schedule.ts';
import { storedTargets } from '../shared/catalog.ts';
import { observed } from '../shared/handler.ts';

let catalog: ReturnType<typeof storedTargets> | undefined;

/**
 * ListTargets, the schedule's first state: the drills to start, one per configured target (or
 * per target the input lists), each with its execution's name.
 */
export const handler = observed('ListTargets', (event) => {
  catalog ??= storedTargets(process.env);
  return listTargets(event, { catalog, clock: systemClock });
});
