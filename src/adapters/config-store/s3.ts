import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

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

export interface ConfigVersion {
  versionId: string;
  lastModified: Date | undefined;
  isLatest: boolean;
  size: number | undefined;
}

/** The configuration store refused: no such bucket, object or version. */
export class ConfigStoreError extends Error {
  override name = 'ConfigStoreError';
}

/**
 * The drill configuration as one JSON object in a versioned S3 bucket: each push is a new
 * version, kept, so an earlier configuration can be read back or restored.
 */
export class S3ConfigStore {
  readonly location: ConfigLocation;
  private readonly client: S3Client;

  constructor(location: ConfigLocation, client: S3Client = new S3Client({})) {
    this.location = location;
    this.client = client;
  }

  private get where(): string {
    return `s3://${this.location.bucket}/${this.location.key}`;
  }

  /** Stores `text` (a configuration, as written) as the new current version. */
  async push(text: string): Promise<{ versionId: string | undefined }> {
    const { bucket, key } = this.location;
    const put = await this.request(() =>
      this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: text,
          ContentType: 'application/json',
        }),
      ),
    );
    return { versionId: put.VersionId };
  }

  /** The current configuration, or the version `versionId` names. */
  async read(versionId?: string): Promise<StoredConfig> {
    const { bucket, key } = this.location;
    const got = await this.request(() =>
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

  /** The stored versions of the configuration, newest first, at most `limit`. */
  async versions(limit = 20): Promise<ConfigVersion[]> {
    const { bucket, key } = this.location;
    const found: ConfigVersion[] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await this.request(() =>
        this.client.send(
          new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, ...markers }),
        ),
      );
      // The prefix also matches longer keys (config.json.bak): only this key's versions count.
      for (const version of page.Versions ?? []) {
        if (version.Key !== key || !version.VersionId) continue;
        found.push({
          versionId: version.VersionId,
          lastModified: version.LastModified,
          isLatest: version.IsLatest ?? false,
          size: version.Size,
        });
        if (found.length >= limit) return found;
      }
      if (!page.IsTruncated) return found;
      markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
  }

  /** Runs one S3 request, turning "no such bucket, key or version" into a message that says so. */
  private async request<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const { name } = error as Error;
      if (name === 'NoSuchBucket') {
        throw new ConfigStoreError(`bucket ${this.location.bucket} does not exist`, {
          cause: error,
        });
      }
      if (name === 'NoSuchKey') {
        throw new ConfigStoreError(`no configuration at ${this.where} yet: push one first`, {
          cause: error,
        });
      }
      if (
        name === 'NoSuchVersion' ||
        (name === 'InvalidArgument' && /version/i.test(String(error)))
      ) {
        throw new ConfigStoreError(`${this.where} has no such version`, { cause: error });
      }
      throw error;
    }
  }
}
