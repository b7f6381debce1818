import { S3Client } from '@aws-sdk/client-s3';
import { S3BaselineStore } from '#adapters/baselines/s3.ts';
import { type Env, loadStoreLocation } from './config.ts';
import { tracer } from './powertools.ts';

/** Baselines kept in the configuration bucket, beside the configuration. */
export function baselineStore(env: Env): S3BaselineStore {
  const client = tracer.captureAWSv3Client(new S3Client({}));
  return new S3BaselineStore(loadStoreLocation(env).bucket, client);
}
