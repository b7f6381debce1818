import { stepHandler } from '../shared/handler.ts';

/** TakeSnapshot: requests a snapshot of the source, tagged with the drill's id. */
export const handler = stepHandler('TakeSnapshot');
