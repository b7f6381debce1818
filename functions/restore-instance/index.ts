import { stepHandler } from '../shared/handler.ts';

/** RestoreInstance: restores the snapshot to a new, tagged instance. */
export const handler = stepHandler('RestoreInstance');
