import { stepHandler } from '../shared/handler.ts';

/** TearDown: deletes the drill's restored copy and snapshot, and nothing else. */
export const handler = stepHandler('TearDown');
