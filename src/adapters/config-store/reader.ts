import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** Where the deployed stack keeps its configuration unless its ConfigKey output says otherwise. */
export const DEFAULT_CONFIG_KEY = 'restore-drill/config.json';

export interface ConfigLocation {
  bucket: string;
  key: string;
}

export interface StoredConfig {
  text: string;
  versionId: string | undefined;
  lastModified: Date | undefined;
}

/** The configuration store refused: no such bucket, object or version. */
export class ConfigStoreError extends Error {
  override name = 'ConfigStoreError';
}

/** Runs one S3 request, turning "no such bucket, key or version" into a message that says so. */
export async function storeRequest<T>(
  location: ConfigLocation,
  send: () => Promise<T>,
): Promise<T> {
  const where = `s3://${location.bucket}/${location.key}`;
  try {
    return await send();
  } catch (error) {
    const { name } = error as Error;
    if (name === 'NoSuchBucket') {
      throw new ConfigStoreError(`bucket ${location.bucket} does not exist`, { cause: error });
    }
    if (name === 'NoSuchKey') {
      throw new ConfigStoreError(`no configuration at ${where} yet: push one first`, {
        cause: error,
      });
    }
    if (
      name === 'NoSuchVersion' ||
      (name === 'InvalidArgument' && /version/i.test(String(error)))
    ) {
      throw new ConfigStoreError(`${where} has no such version`, { cause: error });
    }
    throw error;
  }
}

/**
 * Reads the stored configuration, and can do nothing else: what the deployed functions use, so
 * their bundles (and their IAM policies) carry no write to the configuration.
 */
export class ConfigReader {
  readonly location: ConfigLocation;
  private readonly client: S3Client;

  constructor(location: ConfigLocation, client: S3Client = new S3Client({})) {
    this.location = location;
    this.client = client;
  }

  /** The current configuration, or the version `versionId` names. */
  async read(versionId?: string): Promise<StoredConfig> {
    const { bucket, key } = this.location;
    const got = await storeRequest(this.location, () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(versionId !== undefined && { VersionId: versionId }),
        }),
      ),
    );
    const text = (await got.Body?.transformToString('utf8')) ?? '';
    return { text, versionId: got.VersionId, lastModified: got.LastModified };
  }
}
