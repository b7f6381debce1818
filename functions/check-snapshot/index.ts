import { describeRecoveryPoint } from '#adapters/rds/recovery-points.ts';
import { systemClock } from '#core/ports.ts';
import { stepHandler } from '../shared/handler.ts';
import { rdsContext } from '../shared/rds.ts';

/** CheckSnapshot: is the recovery point ready, and how long to wait before asking again. */
export const handler = stepHandler('CheckSnapshot', {
  ports: {
    fleet: () => {
      const rds = rdsContext();
      return {
        describeRecoveryPoint: (point, source) =>
          describeRecoveryPoint(rds, point, source, systemClock.now()),
      };
    },
  },
});
