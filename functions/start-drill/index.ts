import { stepHandler } from '../shared/handler.ts';

/** StartDrill: validates the execution input and names the drill. Creates nothing. */
export const handler = stepHandler('StartDrill');
