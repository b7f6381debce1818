import { deleteCopy, describeCopy } from '#adapters/rds/copies.ts';
import { deleteSnapshot, describeSnapshot } from '#adapters/rds/recovery-points.ts';
import { stepHandler } from '../shared/handler.ts';
import { rdsContext } from '../shared/rds.ts';

/** TearDown: deletes the drill's copy, then its own snapshot; nothing it did not make. */
export const handler = stepHandler('TearDown', {
  ports: {
    fleet: () => {
      const rds = rdsContext();
      return {
        describeCopy: (copyId, source) => describeCopy(rds, copyId, source),
        deleteCopy: (copyId, source) => deleteCopy(rds, copyId, source),
        describeSnapshot: (snapshotId, source) => describeSnapshot(rds, snapshotId, source),
        deleteSnapshot: (snapshotId, source) => deleteSnapshot(rds, snapshotId, source),
      };
    },
  },
});
