import { advanceCopy } from '#adapters/rds/copies.ts';
import { stepHandler } from '../shared/handler.ts';
import { rdsContext } from '../shared/rds.ts';

/**
 * CheckInstance: is the copy ready? Each poll takes its next step: an Aurora cluster's
 * instance, then the managed master secret.
 */
export const handler = stepHandler('CheckInstance', {
  ports: {
    fleet: () => {
      const rds = rdsContext();
      return { advanceCopy: (request) => advanceCopy(rds, request) };
    },
  },
});
