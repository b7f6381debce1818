import { storedTargets } from '../shared/catalog.ts';
import { stepHandler } from '../shared/handler.ts';

/**
 * StartDrill: validates the execution input and names the drill; an input naming a target
 * (`{"targetName": "orders"}`) takes it from the stored configuration. Creates nothing.
 */
export const handler = stepHandler('StartDrill', { ports: { catalog: storedTargets } });
