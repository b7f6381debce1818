import { connectionFor, secretsClient } from '#adapters/rds/access.ts';
import { describeCopy } from '#adapters/rds/copies.ts';
import { backupFacts } from '#adapters/rds/recovery-points.ts';
import { verifierByEngine } from '#adapters/verifiers.ts';
import { baselineStore } from '../shared/baselines.ts';
import { stepHandler } from '../shared/handler.ts';
import { tracer } from '../shared/powertools.ts';
import { rdsContext } from '../shared/rds.ts';

/** Verify: runs the target's checks against the restored copy, and judges the source's backups. */
export const handler = stepHandler('Verify', {
  ports: {
    fleet: () => {
      const rds = rdsContext();
      const secrets = tracer.captureAWSv3Client(secretsClient());
      return {
        describeCopy: (copyId, source) => describeCopy(rds, copyId, source),
        connectionFor: (copy, target) => connectionFor(rds, secrets, copy, target),
        backupFacts: (source) => backupFacts(rds, source),
      };
    },
    // Each copy by its engine's checks; a driver is loaded once a copy of its engine comes.
    verifier: () => verifierByEngine(),
    baselines: baselineStore,
  },
});
