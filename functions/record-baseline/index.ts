import { secretsClient, sourceConnection } from '#adapters/rds/access.ts';
import { verifierByEngine } from '#adapters/verifiers.ts';
import { baselineStore } from '../shared/baselines.ts';
import { stepHandler } from '../shared/handler.ts';
import { tracer } from '../shared/powertools.ts';
import { rdsContext } from '../shared/rds.ts';

/** RecordBaseline: reads the source's tables and estimated rows, read-only, as it is snapshotted. */
export const handler = stepHandler('RecordBaseline', {
  ports: {
    fleet: () => {
      const rds = rdsContext();
      const secrets = tracer.captureAWSv3Client(secretsClient());
      return { sourceConnection: (target) => sourceConnection(rds, secrets, target) };
    },
    verifier: () => verifierByEngine(),
    baselines: baselineStore,
  },
});
