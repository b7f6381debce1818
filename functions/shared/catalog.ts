import { S3Client } from '@aws-sdk/client-s3';
import { StoredTargets } from '#adapters/config-store/catalog.ts';
import { ConfigReader } from '#adapters/config-store/reader.ts';
import { type Env, loadStoreLocation } from './config.ts';
import { tracer } from './powertools.ts';

/** The targets `config push` stored, read from S3 at each drill's start. */
export function storedTargets(env: Env): StoredTargets {
  const client = tracer.captureAWSv3Client(new S3Client({}));
  return new StoredTargets(new ConfigReader(loadStoreLocation(env), client));
}
