import { stepHandler } from '../shared/handler.ts';

/** PublishReport: publishes the drill's report to SNS and counts the verdict. */
export const handler = stepHandler('PublishReport');
