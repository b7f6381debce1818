import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type Baseline, parseBaseline } from '#core/baseline.ts';
import type { BaselineStore } from '#core/ports.ts';

/** Where a deployment keeps baselines: beside its configuration, in the configuration bucket. */
export const BASELINE_PREFIX = 'restore-drill/baselines/';

/**
 * Baselines as JSON objects in S3, one per target and key: `<prefix><target>/<key>.json`. A
 * baseline is names and numbers only, so it may sit beside the configuration.
 */
export class S3BaselineStore implements BaselineStore {
  private readonly bucket: string;
  private readonly client: S3Client;

  constructor(bucket: string, client: S3Client = new S3Client({})) {
    this.bucket = bucket;
    this.client = client;
  }

  async load(target: string, key: string): Promise<Baseline | undefined> {
    const Key = this.keyOf(target, key);
    let text: string;
    try {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      text = (await got.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
    return parseBaseline(text, `baseline s3://${this.bucket}/${Key}`);
  }

  async save(target: string, key: string, baseline: Baseline): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.keyOf(target, key),
        Body: JSON.stringify(baseline),
        ContentType: 'application/json',
      }),
    );
  }

  private keyOf(target: string, key: string) {
    return `${BASELINE_PREFIX}${target}/${key}.json`;
  }
}
