import { stepHandler } from '../shared/handler.ts';

/** Verify: runs the target's checks against the restored copy. */
export const handler = stepHandler('Verify');
