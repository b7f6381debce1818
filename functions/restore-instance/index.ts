import { restoreCopy } from '#adapters/rds/copies.ts';
import { stepHandler } from '../shared/handler.ts';
import { rdsContext } from '../shared/rds.ts';

/** RestoreInstance: restores the recovery point to a new copy, tagged and forced safe. */
export const handler = stepHandler('RestoreInstance', {
  ports: {
    fleet: (env) => {
      const rds = rdsContext(env);
      return { restoreCopy: (request) => restoreCopy(rds, request) };
    },
  },
});
