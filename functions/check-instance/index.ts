import { stepHandler } from '../shared/handler.ts';

/** CheckInstance: polls the restored copy and says how long to wait before the next poll. */
export const handler = stepHandler('CheckInstance');
