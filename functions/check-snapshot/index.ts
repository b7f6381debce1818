import { stepHandler } from '../shared/handler.ts';

/** CheckSnapshot: polls the snapshot and says how long to wait before the next poll. */
export const handler = stepHandler('CheckSnapshot');
