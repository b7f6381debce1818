import { prepareRecoveryPoint } from '#adapters/rds/recovery-points.ts';
import { systemClock } from '#core/ports.ts';
import { stepHandler } from '../shared/handler.ts';
import { rdsContext } from '../shared/rds.ts';

/** TakeSnapshot: takes the drill's own tagged snapshot, or picks the backup the target names. */
export const handler = stepHandler('TakeSnapshot', {
  ports: {
    fleet: () => {
      const rds = rdsContext();
      return {
        prepareRecoveryPoint: (request) => prepareRecoveryPoint(rds, request, systemClock.now()),
      };
    },
  },
});
